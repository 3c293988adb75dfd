using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Distributed;
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
    /// <param name="communicator">
    /// With a job of several processes (<c>mpirun</c>), trains data-parallel (<see cref="DataParallelFit"/>): every rank
    /// takes its contiguous share of each global batch of <see cref="TitleTrainingOptions.BatchSize"/> pairs, the mean
    /// gradients are all-reduced, and rank 0 alone holds the run folder's lock and writes the vocabulary, checkpoints,
    /// log, best model and the final scores (the other ranks return the same model with NaN scores). The loss is a mean
    /// over each shard's title characters, so ranks count equally rather than by their character counts. Null: one process.
    /// </param>
    /// <exception cref="FileNotFoundException">The data is missing (the message says where it comes from).</exception>
    public static TitleTrainingResult Run(TitleTrainingOptions options, TextWriter output, IReadOnlyList<IFitObserver> observers, CancellationToken cancellation, ITaskProgress? progress = null, Communicator? communicator = null) =>
        options.Model.Kind == TitleModelKinds.UniLm
            ? Run(options, output, observers, cancellation, progress, communicator, new Network<UniLmParams>(
                (generator, vocabulary, device) => UniLmModel.Init(generator, vocabulary, options.Model, device), p => p.CopyPrior, (p, prior) => p with { CopyPrior = prior },
                UniLmLoss.Of(options.Model, options.LabelSmoothing), (p, vocabulary) => new TrainedUniLm(p, vocabulary, options.Model))
            {
                Pretrained = (vocabulary, device) => PretrainedStart.Load(options.InitFrom!, vocabulary, options.Model, device),
            })
            : Run(options, output, observers, cancellation, progress, communicator, new Network<TitleModelParams>(
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

    static TitleTrainingResult Run<TParams>(TitleTrainingOptions options, TextWriter output, IReadOnlyList<IFitObserver> observers, CancellationToken cancellation, ITaskProgress? progress, Communicator? communicator, Network<TParams> network)
        where TParams : notnull
    {
        var root = communicator is null || communicator.IsRoot;
        if (!root) (output, observers, progress) = (TextWriter.Null, [], null);
        var clock = Stopwatch.StartNew();
        var corpus = TitleCorpus.Load(options.DataDirectory, options.Corpus);
        output.WriteLine(corpus.Report.Describe());
        var (train, validation) = (corpus.Train, corpus.Validation);
        using var runLock = root ? RunFolderLock.Acquire(options.OutDirectory) : null;
        if (root)
            foreach (var leftover in AtomicFile.RemoveLeftovers(options.OutDirectory))
                output.WriteLine($"Removed {leftover}, the temporary file of a write that was interrupted.");
        var store = new CheckpointStore(Path.Combine(options.OutDirectory, "checkpoints"), keepLast: 2);
        var bestPath = Path.Combine(options.OutDirectory, "best-rouge-l.txt");
        if (options.Restart && root) File.Delete(bestPath);
        if (communicator is not null) RankCount.CheckAndRecord(communicator, root ? store.Folder : null, hasCheckpoints: root && !options.Restart && store.Steps().Count > 0);
        else RankCount.CheckSingleProcess(store.Folder, hasCheckpoints: !options.Restart && store.Steps().Count > 0);
        var kindPath = Path.Combine(options.OutDirectory, KindFile);
        if (root && !options.Restart && store.AllSteps().Count > 0 && File.Exists(kindPath) && File.ReadAllText(kindPath).Trim() is var recorded && recorded != options.Model.Kind)
            throw new InvalidOperationException($"The run in {options.OutDirectory} trains a model of kind '{recorded}' ({kindPath}), not '{options.Model.Kind}': give --model {recorded} to resume it, another --out, or --restart to start over.");
        if (root) AtomicFile.WriteAllText(kindPath, options.Model.Kind);
        // The vocabulary of a run is fixed by its first invocation: a resumed run checks that its corpus builds the same
        // one, and that the saved file is intact, before anything else (RunVocabulary). What Resolve returns equals the
        // vocabulary built here, so the other ranks take that.
        var built = CharacterVocabulary.Build(train.SelectMany(p => new[] { p.Title, p.Content }), options.MinCount);
        var vocabulary = root ? RunVocabulary.Resolve(options.OutDirectory, built, options.DataDirectory, resuming: !options.Restart && store.AllSteps().Count > 0, output) : built;
        if (root) RunVocabulary.Save(options.OutDirectory, vocabulary);
        var pairs = train.Select(p => TitleBatches.Encode(p, vocabulary, options.Model)).ToArray();
        var subset = validation.Take(options.ValidationSubset).ToArray();
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
        var start = TrainStateFile.ResumeOrInit(root ? store : null, fresh, NoState.Value, optimizer, (ulong)options.Seed, options.Restart && root);
        var state = start.State;
        if (communicator is not null)
        {
            // Rank 0's state (fresh or resumed) is every rank's, checked by a checksum all-reduce.
            var common = StateSync.Broadcast(communicator, state);
            TrainState.Dispose(state);
            state = common;
        }
        if (state.Position.Batch > batchesPerEpoch)
        {
            var position = state.Position;
            TrainState.Dispose(state);
            Tree.Dispose(fresh);
            var where = string.Create(CultureInfo.InvariantCulture, $"The checkpoint of step {start.FromStep} in {store.Folder} is at batch {position.Batch} of epoch {position.Epoch + 1}");
            var given = string.Create(CultureInfo.InvariantCulture, $"the corpus {options.DataDirectory} with --batch {options.BatchSize} gives {batchesPerEpoch} batches an epoch");
            throw new InvalidDataException($"{where}, but {given}: the run was started with other data or another batch size. Resume with those, or train into another --out folder. Nothing was changed.");
        }
        if (start.FromStep is not null || start.Notes.Count > 0)
            output.WriteLine(start.Describe() + (start.FromStep is not null ? $" It continues at epoch {state.Position.Epoch + 1}, batch {state.Position.Batch}." : ""));
        // Room for the checkpoints at their peak and the kept model, before any work that a full disk would lose.
        if (root) TrainStateFile.RequireRoom(store, state, Tree.Flatten(state.Parameters).Sum(leaf => leaf.Value.numel() * leaf.Value.element_size()) + (64 << 10));
        var model = network.Loss;
        // The loader is not given the stop request: a stop ends the fit after the current step (which writes a checkpoint
        // at that step, and under MPI travels in the step's all-reduce so every rank stops together); a loader that threw
        // on the request instead would lose that checkpoint, and under MPI leave the other ranks in the all-reduce.
        // Leaving the loop stops the loader's workers.
        var data = new TrainingData<TitleBatch>(batchesPerEpoch, position =>
            BatchLoader.Load(Shares(TitleBatches.Plan(pairs, options.BatchSize, options.Seed, position.Epoch), communicator),
                indices => OnDevice(TitleBatches.Collate(indices.Select(i => pairs[i]).ToArray(), 1), device), options.Workers, prefetch: 4, position.Batch, CancellationToken.None));

        var best = ReadBest(bestPath, output);
        IReadOnlyDictionary<string, double> Validate(TParams parameters)
        {
            var current = network.Trained(parameters, vocabulary);
            if (subset.Length == 0)
            {
                // No per-epoch validation (--val-subset 0): nothing ranks the models, so the latest one is kept.
                if (root) current.Save(options.OutDirectory);
                return new Dictionary<string, double>();
            }
            var scores = TitleEvaluation.Score(current, subset, TitleEvaluationOptions.Default, progress);
            if (scores.RougeL > best && root)
            {
                best = scores.RougeL;
                current.Save(options.OutDirectory);
                AtomicFile.WriteAllText(bestPath, best.ToString("R", CultureInfo.InvariantCulture));
            }
            return new Dictionary<string, double> { [Rouge1] = scores.Rouge1, [Rouge2] = scores.Rouge2, [RougeL] = scores.RougeL };
        }

        // The final evaluation (all validation pairs, greedy) takes about a minute on two cores; the budget keeps room for it.
        var reserve = TimeSpan.FromMinutes(Math.Min(3, options.Minutes * 0.1));
        // Cut to the starting step when the fit starts, saying so: each step is logged once after a resume.
        IFitObserver[] fileObservers = root
            ? [new MetricsLogObserver(MetricsLogPath(options.OutDirectory)) { Warnings = output }, .. observers, new CheckpointObserver(store, options.CheckpointEverySteps)]
            : [];
        var fit = new FitOptions
        {
            Epochs = options.Epochs,
            Observers = fileObservers,
            TimeLimit = options.Minutes > 0 ? TimeSpan.FromMinutes(options.Minutes) - reserve - clock.Elapsed : null,
            EvaluateWithEma = options.Ema > 0,
        };
        var result = communicator is null
            ? Fit.Run(model, optimizer, state, data, (parameters, _) => Validate(parameters), fit, cancellation)
            : DataParallelFit.Run(communicator, model, optimizer, state, data, (parameters, _) => Validate(parameters), fit, cancellation);
        TrainState.Dispose(result.State);
        if (!ReferenceEquals(result.State, state)) TrainState.Dispose(state);
        Tree.Dispose(fresh);

        communicator?.Barrier();   // rank 0 has written the best model
        var trained = TitleModelFolder.Load(options.OutDirectory, device);
        if (!root)
        {
            var none = new RougeScores(double.NaN, double.NaN, double.NaN);
            return new TitleTrainingResult(trained, result.History, none, none);
        }
        var full = TitleEvaluation.Score(trained, validation, TitleEvaluationOptions.Default, progress);
        var lead = TitleEvaluation.Lead(validation, 18);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.End} at step {(result.History.Count > 0 ? result.History[^1].Step : state.Step)}. {(subset.Length > 0 ? $"Best model (val[{subset.Length}] ROUGE-L {best:F4})" : "Last model (no per-epoch validation)")} on all {validation.Count} validation pairs, greedy: ROUGE-1 {full.Rouge1:F4}  ROUGE-2 {full.Rouge2:F4}  ROUGE-L {full.RougeL:F4}; lead-18: ROUGE-1 {lead.Rouge1:F4}  ROUGE-2 {lead.Rouge2:F4}  ROUGE-L {lead.RougeL:F4}  ({clock.Elapsed.TotalMinutes:F1} min)"));
        return new TitleTrainingResult(trained, result.History, full, lead);
    }

    /// <summary>This rank's share of every global batch of <paramref name="plan"/> (<see cref="DataParallel.ShardPlan"/>), or the plan itself in one process.</summary>
    static IReadOnlyList<int[]> Shares(IReadOnlyList<int[]> plan, Communicator? communicator) =>
        communicator is null ? plan : DataParallel.ShardPlan(plan, communicator.Rank, communicator.Size);

    /// <summary>The best validation ROUGE-L so far from <paramref name="path"/>; an empty or unreadable file counts as none, with a warning.</summary>
    static double ReadBest(string path, TextWriter output)
    {
        if (!File.Exists(path)) return double.NegativeInfinity;
        var text = File.ReadAllText(path).Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var best) && double.IsFinite(best)) return best;
        output.WriteLine($"Warning: {path} is {(text.Length == 0 ? "empty" : $"not a number ('{(text.Length > 40 ? text[..40] + "..." : text)}')")}; it is treated as absent, so the next validation's model is kept as the best.");
        return double.NegativeInfinity;
    }

    static TitleBatch OnDevice(TitleBatch batch, torch.Device device)
    {
        var moved = batch.To(device);
        if (!ReferenceEquals(moved, batch)) batch.Dispose();
        return moved;
    }
}
