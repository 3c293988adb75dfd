using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Functional.Models.Evaluation;
using Functional.Models.Text;
using Functional.Training;
using Functional.Models.Titles.UniLm;
using Functional.Models.Titles.Pretraining;

namespace Functional.Models.Titles;

/// <summary>What a training run ends with.</summary>
/// <param name="Model">The model with the best validation-subset ROUGE-L (also saved in the out directory).</param>
/// <param name="Fit">The fit's history and why it ended (its final state is released).</param>
/// <param name="Validation">Greedy ROUGE of <paramref name="Model"/> on all validation pairs.</param>
/// <param name="Lead">The lead baseline's ROUGE on the same pairs.</param>
public sealed record TitleTrainingResult(ITitleModel Model, IReadOnlyList<EpochReport> Fit, RougeScores Validation, RougeScores Lead);

/// <summary>
/// Trains the title model with the fit loop: the copy prior initialised from the training pairs' character
/// statistics (<see cref="CopyPriorInit"/>), Adam with warm-up, cosine decay and global-norm clipping on
/// length-bucketed batches, the whole train state checkpointed after every epoch (a run in the same out directory
/// resumes), greedy validation ROUGE on a subset each epoch (the best model is saved), a metrics log, a loss chart and
/// a time budget that leaves room for the final evaluation on all validation pairs.
/// </summary>
public static class TitleTraining
{
    const string Rouge1 = "rouge1", Rouge2 = "rouge2", RougeL = "rougeL";

    /// <summary>The metrics log of the run in <paramref name="outDirectory"/>.</summary>
    public static string MetricsLogPath(string outDirectory) => Path.Combine(outDirectory, "metrics.jsonl");

    /// <summary>
    /// Runs training as <paramref name="options"/> say, writing what it does to <paramref name="output"/>. The run keeps
    /// its metrics log (<c>metrics.jsonl</c>) and checkpoints in the out directory itself; <paramref name="observers"/>
    /// (a progress bar, a chart) watch the fit between the two.
    /// </summary>
    /// <param name="options">What to train and how.</param>
    /// <param name="output">Where the run's messages go.</param>
    /// <param name="observers">Observers of the fit (a progress bar, charts, TensorBoard).</param>
    /// <param name="cancellation">Stops the fit cleanly after the current step.</param>
    /// <param name="progress">Shown the decoding of each epoch's validation subset and of the final scoring on all validation pairs; null shows nothing.</param>
    /// <param name="group">
    /// The processes training together (<see cref="FolderRun"/>): null or <see cref="SingleProcess"/> for one process; under
    /// <c>mpirun</c> the job's ranks (the command line gives <c>Functional.Distributed</c>'s group), each taking its share of
    /// every global batch of <see cref="TitleTrainingOptions.BatchSize"/> pairs, while rank 0 alone holds the run folder's
    /// lock and writes the vocabulary, checkpoints, log, best model and the final scores (the other ranks return the same
    /// model with NaN scores). The loss is a mean over each shard's title characters, so ranks count equally rather than by
    /// their character counts.
    /// </param>
    /// <exception cref="FileNotFoundException">The data is missing (the message says where it comes from).</exception>
    public static TitleTrainingResult Run(TitleTrainingOptions options, TextWriter output, IReadOnlyList<IFitObserver> observers, CancellationToken cancellation, ITaskProgress? progress = null, IRunGroup? group = null) =>
        options.Model.Kind == TitleModelKinds.UniLm
            ? Run(options, output, observers, cancellation, progress, group ?? SingleProcess.Instance, new Network<UniLmParams>(
                (generator, vocabulary, device) => UniLmModel.Init(generator, vocabulary, options.Model, device), p => p.CopyPrior, (p, prior) => p with { CopyPrior = prior },
                UniLmLoss.Of(options.Model, options.LabelSmoothing), (p, vocabulary) => new TrainedUniLm(p, vocabulary, options.Model))
            {
                Pretrained = (vocabulary, device) => PretrainedStart.Load(options.InitFrom!, vocabulary, options.Model, device),
            })
            : Run(options, output, observers, cancellation, progress, group ?? SingleProcess.Instance, new Network<TitleModelParams>(
                (generator, vocabulary, device) => TitleModel.Init(generator, vocabulary, options.Model, device), p => p.CopyPrior, (p, prior) => p with { CopyPrior = prior },
                TitleModelLoss.Of(options.Model, options.LabelSmoothing), (p, vocabulary) => new TrainedTitleModel(p, vocabulary, options.Model)));

    /// <summary>What differs between the kinds of model in a run: fresh parameters, their copy prior, the loss, and the trained model around parameters.</summary>
    sealed record Network<TParams>(
        Func<torch.Generator, int, torch.Device, TParams> Init, Func<TParams, CopyPriorParams> CopyPrior, Func<TParams, CopyPriorParams, TParams> WithCopyPrior,
        ModelLoss<TParams, NoState, TitleBatch> Loss, Func<TParams, CharacterVocabulary, ITitleModel> Trained)
    {
        /// <summary>Loads pretrained parameters checked against the run's vocabulary (<see cref="TitleTrainingOptions.InitFrom"/>); null: the kind has none.</summary>
        public Func<CharacterVocabulary, torch.Device, TParams>? Pretrained { get; init; }
    }

    /// <summary>The file recording the kind of model a run folder trains (a resumed run must train the same kind).</summary>
    const string KindFile = "model-kind.txt";

    static TitleTrainingResult Run<TParams>(TitleTrainingOptions options, TextWriter output, IReadOnlyList<IFitObserver> observers, CancellationToken cancellation, ITaskProgress? progress, IRunGroup group, Network<TParams> network)
        where TParams : notnull
    {
        if (!group.IsRoot) (output, observers, progress) = (TextWriter.Null, [], null);
        var clock = Stopwatch.StartNew();
        var corpus = TitleCorpus.Load(options.DataDirectory, options.Corpus);
        output.WriteLine(corpus.Report.Describe());
        var (train, validation) = (corpus.Train, corpus.Validation);
        var subset = validation.Take(options.ValidationSubset).ToArray();
        using var run = FolderRun.Open(new RunOptions(options.OutDirectory)
        {
            Restart = options.Restart, KeepCheckpoints = 2, CheckpointEverySteps = options.CheckpointEverySteps, Output = output,
            // The best model by the validation subset's ROUGE-L (none without per-epoch validation: the latest is kept).
            Best = subset.Length > 0 ? new BestBy(RougeL, Minimize: false) : null,
        }, group);
        var root = run.IsRoot;
        var kindPath = Path.Combine(options.OutDirectory, KindFile);
        if (run.Resuming && File.Exists(kindPath) && File.ReadAllText(kindPath).Trim() is var recorded && recorded != options.Model.Kind)
            throw new InvalidOperationException($"The run in {options.OutDirectory} trains a model of kind '{recorded}' ({kindPath}), not '{options.Model.Kind}': give --model {recorded} to resume it, another --out, or --restart to start over.");
        if (root) AtomicFile.WriteAllText(kindPath, options.Model.Kind);
        // The vocabulary of a run is fixed by its first invocation: a resumed run checks that its corpus builds the same
        // one, and that the saved file is intact, before anything else (RunVocabulary). What Resolve returns equals the
        // vocabulary built here, so the other ranks take that.
        var built = CharacterVocabulary.Build(train.SelectMany(p => new[] { p.Title, p.Content }), options.MinCount);
        var vocabulary = root ? RunVocabulary.Resolve(options.OutDirectory, built, options.DataDirectory, resuming: run.Resuming, output) : built;
        if (root) RunVocabulary.Save(options.OutDirectory, vocabulary);
        var pairs = train.Select(p => TitleBatches.Encode(p, vocabulary, options.Model)).ToArray();
        var batchesPerEpoch = (pairs.Length + options.BatchSize - 1) / options.BatchSize;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{pairs.Length} training pairs, vocabulary {vocabulary.Size} (characters seen at least {options.MinCount} times + 4 reserved ids), articles cut to {options.Model.MaxArticleLength} characters, {batchesPerEpoch} batches of {options.BatchSize} per epoch."));

        // Clip, Adam, warm-up + cosine rate, EMA: on the fused kernel, asked for by name (FusedAdam).
        IGradientTransformation optimizer = new FusedAdam(new ClipByGlobalNorm(options.ClipNorm), ScaleByAdam.Default,
            new ScaleByLearningRate(new WarmupCosine(options.LearningRate, options.WarmupSteps, Math.Max(1, (long)options.Epochs * batchesPerEpoch - options.WarmupSteps), options.LearningRate / 10)),
            options.Ema > 0 ? new ParameterEma(options.Ema, BiasCorrection: true) : null);
        var device = options.Device ?? torch.get_default_device();
        using var generator = new torch.Generator((ulong)options.Seed, device);
        TParams fresh;
        if (options.InitFrom is { } initFrom)
        {
            if (network.Pretrained is null) throw new ArgumentException($"--init {initFrom}: only a UniLM starts from pretrained weights (--model {TitleModelKinds.UniLm}), not a model of kind '{options.Model.Kind}'.", nameof(options));
            // The pretrained tensors bit for bit, copy prior included (pretraining drew it from the same statistics).
            fresh = network.Pretrained(vocabulary, device);
            output.WriteLine($"Starting from the pretrained weights in {initFrom}.");
        }
        else
        {
            var drawn = network.Init(generator, vocabulary.Size, device);
            // The copy prior starts from the training pairs' statistics (see CopyPriorInit) instead of scale 1, bias 0.
            fresh = network.WithCopyPrior(drawn, CopyPriorInit.FromPairs(pairs, vocabulary.Size, 0.5, device));
            Tree.Dispose(network.CopyPrior(drawn));
        }
        var data = new RunData<TitleBatch>(batchesPerEpoch, epoch => TitleBatches.Plan(pairs, options.BatchSize, options.Seed, epoch),
            indices => OnDevice(TitleBatches.Collate(indices.Select(i => pairs[i]).ToArray(), 1), device)) { Workers = options.Workers };

        IReadOnlyDictionary<string, double> Validate(TParams parameters)
        {
            if (subset.Length == 0)
            {
                // No per-epoch validation (--val-subset 0): nothing ranks the models, so the latest one is kept.
                if (root) network.Trained(parameters, vocabulary).Save(options.OutDirectory);
                return new Dictionary<string, double>();
            }
            var scores = TitleEvaluation.Score(network.Trained(parameters, vocabulary), subset, TitleEvaluationOptions.Default, progress);
            return new Dictionary<string, double> { [Rouge1] = scores.Rouge1, [Rouge2] = scores.Rouge2, [RougeL] = scores.RougeL };
        }

        // The final evaluation (all validation pairs, greedy) takes about a minute on two cores; the budget keeps room for it.
        var reserve = TimeSpan.FromMinutes(Math.Min(3, options.Minutes * 0.1));
        var plan = new RunPlan<TParams, NoState, TitleBatch>(fresh, NoState.Value, optimizer, network.Loss, data, (ulong)options.Seed)
        {
            Validate = (parameters, _) => Validate(parameters),
            Fit = new FitOptions
            {
                Epochs = options.Epochs,
                Observers = observers,
                TimeLimit = options.Minutes > 0 ? TimeSpan.FromMinutes(options.Minutes) - reserve - clock.Elapsed : null,
                EvaluateWithEma = options.Ema > 0,
            },
            // The best model is also kept as the servable model of the folder (model.safetensors, TitleModelFolder).
            KeepBestModel = (parameters, _) => network.Trained(parameters, vocabulary).Save(options.OutDirectory),
        };
        FitResult<TParams, NoState> result;
        try
        {
            result = run.Fit(plan, cancellation);
        }
        finally
        {
            Tree.Dispose(fresh);
        }
        var steps = result.State.Step;
        TrainState.Dispose(result.State);

        group.Barrier();   // rank 0 has written the best model
        var trained = TitleModelFolder.Load(options.OutDirectory, device);
        if (!root)
        {
            var none = new RougeScores(double.NaN, double.NaN, double.NaN);
            return new TitleTrainingResult(trained, result.History, none, none);
        }
        var best = run.Best?.Kept() is [var first, ..] ? first.Value : double.NegativeInfinity;
        var full = TitleEvaluation.Score(trained, validation, TitleEvaluationOptions.Default, progress);
        var lead = TitleEvaluation.Lead(validation, 18);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.End} at step {steps}. {(subset.Length > 0 ? $"Best model (val[{subset.Length}] ROUGE-L {best:F4})" : "Last model (no per-epoch validation)")} on all {validation.Count} validation pairs, greedy: ROUGE-1 {full.Rouge1:F4}  ROUGE-2 {full.Rouge2:F4}  ROUGE-L {full.RougeL:F4}; lead-18: ROUGE-1 {lead.Rouge1:F4}  ROUGE-2 {lead.Rouge2:F4}  ROUGE-L {lead.RougeL:F4}  ({clock.Elapsed.TotalMinutes:F1} min)"));
        return new TitleTrainingResult(trained, result.History, full, lead);
    }

    static TitleBatch OnDevice(TitleBatch batch, torch.Device device)
    {
        var moved = batch.To(device);
        if (!ReferenceEquals(moved, batch)) batch.Dispose();
        return moved;
    }
}
