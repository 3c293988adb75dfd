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
/// One process (no MPI).
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
    /// <exception cref="ArgumentException">The model options are not a UniLM's.</exception>
    public static PretrainingResult Run(PretrainingOptions options, TextWriter output, IReadOnlyList<IFitObserver> observers, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Model.Kind != TitleModelKinds.UniLm)
            throw new ArgumentException($"Pretraining makes a UniLM; the model options are of kind '{options.Model.Kind}'.", nameof(options));
        var clock = Stopwatch.StartNew();
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        var corpus = TitleCorpus.Load(options.DataDirectory, options.Corpus);
        output.WriteLine(corpus.Report.Describe());
        var train = corpus.Train;
        using var runLock = RunFolderLock.Acquire(options.OutDirectory);
        foreach (var leftover in AtomicFile.RemoveLeftovers(options.OutDirectory))
            output.WriteLine($"Removed {leftover}, the temporary file of a write that was interrupted.");
        var store = new CheckpointStore(Path.Combine(options.OutDirectory, "checkpoints"), keepLast: 2);
        // The vocabulary of titles train, from the same texts (titles and articles of the training split).
        var built = CharacterVocabulary.Build(train.SelectMany(p => new[] { p.Title, p.Content }), options.MinCount);
        var vocabulary = RunVocabulary.Resolve(options.OutDirectory, built, options.DataDirectory, resuming: !options.Restart && store.AllSteps().Count > 0, output);
        RunVocabulary.Save(options.OutDirectory, vocabulary);
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
        var start = TrainStateFile.ResumeOrInit(store, fresh, NoState.Value, optimizer, (ulong)options.Seed, options.Restart);
        var state = start.State;
        if (state.Position.Batch > batchesPerEpoch)
        {
            var position = state.Position;
            TrainState.Dispose(state);
            Tree.Dispose(fresh);
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"The checkpoint of step {start.FromStep} in {store.Folder} is at batch {position.Batch} of epoch {position.Epoch + 1}, but the corpus {options.DataDirectory} with --batch {options.BatchSize} gives {batchesPerEpoch} batches an epoch: the run was started with other data or another batch size. Nothing was changed."));
        }
        if (start.FromStep is not null || start.Notes.Count > 0)
            output.WriteLine(start.Describe() + (start.FromStep is not null ? $" It continues at epoch {state.Position.Epoch + 1}, batch {state.Position.Batch}." : ""));
        TrainStateFile.RequireRoom(store, state, Tree.Flatten(state.Parameters).Sum(leaf => leaf.Value.numel() * leaf.Value.element_size()) + (64 << 10));

        var data = new TrainingData<TitleBatch>(batchesPerEpoch, position =>
            BatchLoader.Load(TitleBatches.Plan(pairs, options.BatchSize, options.Seed, position.Epoch),
                indices => Collate(articles, indices, options.Seed, position.Epoch, device), options.Workers, prefetch: 4, position.Batch, CancellationToken.None));
        // After every epoch the pretrained model so far is saved (validation reads nothing: the validation split is never used).
        IReadOnlyDictionary<string, double> SaveEpoch(UniLmParams parameters, NoState _)
        {
            TitleModelFile.Save(options.OutDirectory, parameters, vocabulary, options.Model);
            return new Dictionary<string, double>();
        }
        var fit = new FitOptions
        {
            Epochs = options.Epochs,
            Observers = [new MetricsLogObserver(MetricsLogPath(options.OutDirectory)) { Warnings = output }, .. observers, new CheckpointObserver(store, options.CheckpointEverySteps)],
            TimeLimit = options.Minutes > 0 ? TimeSpan.FromMinutes(options.Minutes) - clock.Elapsed : null,
            EvaluateWithEma = options.Ema > 0,
        };
        var result = Fit.Run(UniLmLoss.Of(options.Model, 0), optimizer, state, data, SaveEpoch, fit, cancellation);
        var final = options.Ema > 0 ? TrainingSteps.EvaluationParameters(result.State) : Tree.Map(result.State.Parameters, p => p.alias());
        TitleModelFile.Save(options.OutDirectory, final, vocabulary, options.Model);
        var steps = result.State.Step;
        Tree.Dispose(final);
        TrainState.Dispose(result.State);
        if (!ReferenceEquals(result.State, state)) TrainState.Dispose(state);
        Tree.Dispose(fresh);
        var model = TrainedUniLm.Load(options.OutDirectory, device);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.End} at step {steps}; wrote the pretrained model to {options.OutDirectory} ({clock.Elapsed.TotalMinutes:F1} min). Start a title model from it with 'titles train --model unilm --init {options.OutDirectory}' and the same shape flags."));
        return new PretrainingResult(model, result.History, steps);
    }

    /// <summary>The batch of the pseudo pairs (<see cref="SpanInfilling"/>) of <paramref name="indices"/> in <paramref name="epoch"/>, on <paramref name="device"/>.</summary>
    static TitleBatch Collate(int[][] articles, int[] indices, int seed, int epoch, torch.Device device)
    {
        var batch = TitleBatches.Collate(indices.Select(i => SpanInfilling.Pair(articles[i], seed, epoch, i)).ToArray(), 1);
        var moved = batch.To(device);
        if (!ReferenceEquals(moved, batch)) batch.Dispose();
        return moved;
    }
}
