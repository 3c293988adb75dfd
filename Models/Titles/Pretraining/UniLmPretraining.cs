using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Models.Text;
using Functional.Models.Titles.UniLm;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Titles.Pretraining;

/// <summary>What a pretraining run ends with.</summary>
/// <param name="Model">The pretrained UniLM (the weight average when <see cref="PretrainingOptions.Ema"/> is on), also saved in the out folder.</param>
/// <param name="Fit">The fit's history and why it ended.</param>
/// <param name="Steps">The optimizer steps taken in all invocations of the run.</param>
public sealed record PretrainingResult(TrainedUniLm Model, IReadOnlyList<EpochReport> Fit, long Steps);

/// <summary>
/// In-domain pretraining of the UniLM title model on the training split's own articles (never the validation pairs):
/// span infilling (<see cref="SpanInfilling"/>) through the title model's own loss (<see cref="UniLmLoss"/>), on the
/// same fit loop, optimizer (clip, Adam, warm-up + cosine, weight average), checkpoints and resume as
/// <c>titles train</c>. The vocabulary is built exactly as <c>titles train</c> builds it, so that
/// <c>titles train --model unilm --init</c> can check by SHA-256 that both runs read the same one. The pretrained
/// model is saved in the out folder as a title model (<see cref="TitleModelFile"/>) after every epoch and at the end.
/// The run folder is kept by <see cref="FolderRun"/>, in one process or data-parallel over an <see cref="IRunGroup"/>.
/// </summary>
public static class UniLmPretraining
{
    /// <summary>The metrics log of the run in <paramref name="outDirectory"/>.</summary>
    public static string MetricsLogPath(string outDirectory) => Path.Combine(outDirectory, "metrics.jsonl");

    /// <summary>Runs pretraining as <paramref name="options"/> say, writing what it does to <paramref name="output"/>.</summary>
    /// <param name="options">What to pretrain and how; <see cref="TitleModelOptions.Kind"/> must be <see cref="TitleModelKinds.UniLm"/>.</param>
    /// <param name="output">Where the run's messages go.</param>
    /// <param name="observers">Observers of the fit (a progress bar, a chart).</param>
    /// <param name="cancellation">Stops the fit cleanly after the current step (a checkpoint and the model are written).</param>
    /// <param name="group">The processes training together: null or <see cref="SingleProcess"/> for one; under <c>mpirun</c> the job's ranks, rank 0 alone writing (the others return the same model).</param>
    /// <exception cref="ArgumentException">The model options are not a UniLM's.</exception>
    public static PretrainingResult Run(PretrainingOptions options, TextWriter output, IReadOnlyList<IFitObserver> observers, CancellationToken cancellation, IRunGroup? group = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Model.Kind != TitleModelKinds.UniLm)
            throw new ArgumentException($"Pretraining makes a UniLM; the model options are of kind '{options.Model.Kind}'.", nameof(options));
        group ??= SingleProcess.Instance;
        if (!group.IsRoot) (output, observers) = (TextWriter.Null, []);
        var clock = Stopwatch.StartNew();
        var corpus = TitleCorpus.Load(options.DataDirectory, options.Corpus);
        output.WriteLine(corpus.Report.Describe());
        var train = corpus.Train;
        using var run = FolderRun.Open(new RunOptions(options.OutDirectory)
        {
            Restart = options.Restart, KeepCheckpoints = 2, CheckpointEverySteps = options.CheckpointEverySteps, Output = output,
        }, group);
        var root = run.IsRoot;
        // The vocabulary of titles train, from the same texts (titles and articles of the training split).
        var built = CharacterVocabulary.Build(train.SelectMany(p => new[] { p.Title, p.Content }), options.MinCount);
        var vocabulary = root ? RunVocabulary.Resolve(options.OutDirectory, built, options.DataDirectory, resuming: run.Resuming, output) : built;
        if (root) RunVocabulary.Save(options.OutDirectory, vocabulary);
        var pairs = train.Select(p => TitleBatches.Encode(p, vocabulary, options.Model)).ToArray();
        var articles = pairs.Select(p => p.Article).ToArray();
        var batchesPerEpoch = (articles.Length + options.BatchSize - 1) / options.BatchSize;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Pretraining on the {articles.Length} training articles (span infilling), vocabulary {vocabulary.Size} (SHA-256 {vocabulary.Sha256}), {batchesPerEpoch} batches of {options.BatchSize} per epoch."));

        IGradientTransformation optimizer = new FusedAdam(new ClipByGlobalNorm(options.ClipNorm), ScaleByAdam.Default,
            new ScaleByLearningRate(new WarmupCosine(options.LearningRate, options.WarmupSteps, Math.Max(1, (long)options.Epochs * batchesPerEpoch - options.WarmupSteps), options.LearningRate / 10)),
            options.Ema > 0 ? new ParameterEma(options.Ema, BiasCorrection: true) : null);
        var device = options.Device ?? torch.get_default_device();
        using var generator = new torch.Generator((ulong)options.Seed, device);
        var drawn = UniLmModel.Init(generator, vocabulary.Size, options.Model, device);
        // The copy prior starts from the training pairs' statistics, as titles train's does.
        var fresh = drawn with { CopyPrior = CopyPriorInit.FromPairs(pairs, vocabulary.Size, 0.5, device) };
        Tree.Dispose(drawn.CopyPrior);

        // Each article's pseudo pair is drawn afresh every epoch from (seed, epoch, article) alone, so the examples are the
        // (epoch, article) pairs, numbered epoch * articles + article: any process collates its share of a batch alone.
        if ((long)options.Epochs * articles.Length > int.MaxValue)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{options.Epochs} epochs of {articles.Length} articles are more pseudo pairs than can be numbered ({int.MaxValue}); pretrain for fewer epochs."), nameof(options));
        var data = new RunData<TitleBatch>(batchesPerEpoch,
            epoch => TitleBatches.Plan(pairs, options.BatchSize, options.Seed, epoch).Select(batch => batch.Select(i => epoch * articles.Length + i).ToArray()).ToArray(),
            examples => Collate(articles, examples, options.Seed, device)) { Workers = options.Workers };
        // After every epoch the pretrained model so far is saved (validation reads nothing: the validation split is never used).
        IReadOnlyDictionary<string, double> SaveEpoch(UniLmParams parameters, NoState _)
        {
            if (root) TitleModelFile.Save(options.OutDirectory, parameters, vocabulary, options.Model);
            return new Dictionary<string, double>();
        }
        var plan = new RunPlan<UniLmParams, NoState, TitleBatch>(fresh, NoState.Value, optimizer, UniLmLoss.Of(options.Model, 0), data, (ulong)options.Seed)
        {
            Validate = SaveEpoch,
            Fit = new FitOptions
            {
                Epochs = options.Epochs,
                Observers = observers,
                TimeLimit = options.Minutes > 0 ? TimeSpan.FromMinutes(options.Minutes) - clock.Elapsed : null,
                EvaluateWithEma = options.Ema > 0,
            },
        };
        FitResult<UniLmParams, NoState> result;
        try
        {
            result = run.Fit(plan, cancellation);
        }
        finally
        {
            Tree.Dispose(fresh);
        }
        var final = options.Ema > 0 ? TrainingSteps.EvaluationParameters(result.State) : Tree.Map(result.State.Parameters, p => p.alias());
        if (root) TitleModelFile.Save(options.OutDirectory, final, vocabulary, options.Model);
        var steps = result.State.Step;
        Tree.Dispose(final);
        TrainState.Dispose(result.State);
        group.Barrier();   // rank 0 has written the model
        var model = TrainedUniLm.Load(options.OutDirectory, device);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.End} at step {steps}; wrote the pretrained model to {options.OutDirectory} ({clock.Elapsed.TotalMinutes:F1} min). Start a title model from it with 'titles train --model unilm --init {options.OutDirectory}' and the same shape flags."));
        return new PretrainingResult(model, result.History, steps);
    }

    /// <summary>The batch of the pseudo pairs (<see cref="SpanInfilling"/>) of <paramref name="examples"/> (each <c>epoch * articles + article</c>), on <paramref name="device"/>.</summary>
    static TitleBatch Collate(int[][] articles, int[] examples, int seed, torch.Device device)
    {
        var batch = TitleBatches.Collate(examples.Select(e => SpanInfilling.Pair(articles[e % articles.Length], seed, e / articles.Length, e % articles.Length)).ToArray(), 1);
        var moved = batch.To(device);
        if (!ReferenceEquals(moved, batch)) batch.Dispose();
        return moved;
    }
}
