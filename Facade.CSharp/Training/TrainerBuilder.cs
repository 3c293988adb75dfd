using Functional.Optimizers;
using LanguageExt;
using Functional.Training;

namespace Functional.Facade;

/// <summary>
/// An immutable training run under construction; every method returns a new builder and sets one part of the
/// <see cref="FitOptions"/> (or the optimizer, the seed, the validation, an observer). <see cref="Fit(TrainingData{TBatch}, int)"/>
/// is <see cref="TrainStateFile.ResumeOrInit{TParams, TModelState}"/>
/// with the model's parameters and state (<see cref="Trainable{TParams, TModelState, TBatch}.State"/>) then <see cref="Training.Fit.Run{TParams, TModelState, TBatch}"/>. Progress
/// bars and charts are observers of the reporting package: <c>.Observe(ProgressObserver.Console())</c>.
/// </summary>
/// <remarks>
/// Nothing is checked until <see cref="Validate"/> or <c>Fit</c>, which report every error at once: no optimizer,
/// the optimizer's own errors against the model's parameter tree (unknown and overlapping rule paths included), an
/// epoch count below 1, a negative time limit, an empty checkpoint folder or a <c>keepLast</c> below 1, an early-stopping
/// patience below 1 — each found by the core's own check (<see cref="FitOptions.ValidateEpochs"/>,
/// <see cref="CheckpointStore.Validate"/>, <see cref="Training.EarlyStopping.Validate"/>).
/// </remarks>
public sealed record TrainerBuilder<TParams, TModelState, TBatch>
{
    internal TrainerBuilder(Trainable<TParams, TModelState, TBatch> model) => Model = model;

    Trainable<TParams, TModelState, TBatch> Model { get; init; }
    OptimizerBuilder? Pipeline { get; init; }
    IGradientTransformation? CorePipeline { get; init; }
    ulong RandomSeed { get; init; }
    TimeSpan? Limit { get; init; }
    string? LogPath { get; init; }
    IReadOnlyList<IFitObserver> Watchers { get; init; } = [];
    (string Folder, int KeepLast)? CheckpointFolder { get; init; }
    EarlyStoppingSetting? Stopping { get; init; }
    Func<TParams, TModelState, IReadOnlyDictionary<string, double>>? Validation { get; init; }
    bool ResumeLatest { get; init; }

    /// <summary>Trains with the facade pipeline <paramref name="optimizer"/>, built against the model's parameters.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> With(OptimizerBuilder optimizer) => this with { Pipeline = optimizer, CorePipeline = null };

    /// <summary>Trains with a core pipeline.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> With(IGradientTransformation optimizer) => this with { CorePipeline = optimizer, Pipeline = null };

    /// <summary>The seed of the generator the model draws dropout from (<see cref="TrainState.Init{TParams, TModelState}"/>); 0 by default.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> Seed(ulong seed) => this with { RandomSeed = seed };

    /// <summary>
    /// Adds an observer of the fit (a progress bar, a chart, anything that implements <see cref="IFitObserver"/>),
    /// called after the log and the earlier observers and callbacks, before the checkpoint is saved:
    /// <see cref="FitOptions.Observers"/>.
    /// </summary>
    public TrainerBuilder<TParams, TModelState, TBatch> Observe(IFitObserver observer) =>
        this with { Watchers = [.. Watchers, observer ?? throw new ArgumentNullException(nameof(observer))] };

    /// <summary>Saves the whole train state in <paramref name="folder"/> after every epoch, keeping the newest 3: <see cref="CheckpointObserver"/>.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> Checkpoints(string folder) => Checkpoints(folder, keepLast: 3);

    /// <summary>Saves the whole train state in <paramref name="folder"/> after every epoch, keeping the newest <paramref name="keepLast"/>.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> Checkpoints(string folder, int keepLast) => this with { CheckpointFolder = (folder, keepLast) };

    /// <summary>
    /// Continues from the newest checkpoint in the <see cref="Checkpoints(string)"/> folder when there is one
    /// (<see cref="TrainStateFile.LoadLatest{TParams, TModelState}"/>, with the
    /// model's state as the template of the checkpoint's model state), at its epoch, batch and step; otherwise starts afresh.
    /// </summary>
    public TrainerBuilder<TParams, TModelState, TBatch> Resume() => this with { ResumeLatest = true };

    /// <summary>Writes every step's and validation's metrics to a JSON-lines file: <see cref="MetricsLogObserver"/>, the first observer.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> Log(string path) => this with { LogPath = path };

    /// <summary>Stops after <paramref name="limit"/> of training: <see cref="FitOptions.TimeLimit"/>.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> TimeLimit(TimeSpan limit) => this with { Limit = limit };

    /// <summary>Calls <paramref name="callback"/> after each epoch (it may stop the fit): an <see cref="EpochCallback"/> observer.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> Callback(Func<EpochReport, FitDecision> callback) => Observe(new EpochCallback(callback));

    /// <summary>
    /// Validates after each epoch on the batches <paramref name="batches"/> returns (called once per epoch; batches that
    /// are <see cref="IDisposable"/> are released after use), with the model state the fit has reached (a batch-norm
    /// model normalises with its running statistics): <see cref="TrainingSteps.Evaluate{TParams, TModelState, TBatch}"/>.
    /// </summary>
    public TrainerBuilder<TParams, TModelState, TBatch> ValidateOn(Func<IEnumerable<TBatch>> batches) =>
        this with { Validation = (parameters, modelState) => TrainingSteps.Evaluate(Model.Loss, parameters, modelState, batches()) };

    /// <summary>Stops when the validation loss has not decreased for <paramref name="patience"/> epochs: <see cref="Training.EarlyStopping"/>.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> EarlyStopping(int patience) => EarlyStopping(TrainingSteps.LossName, minimize: true, patience, minDelta: 0);

    /// <summary>Stops when <paramref name="monitor"/> has not improved by <paramref name="minDelta"/> for <paramref name="patience"/> epochs: <see cref="Training.EarlyStopping"/>.</summary>
    public TrainerBuilder<TParams, TModelState, TBatch> EarlyStopping(string monitor, bool minimize, int patience, double minDelta) =>
        this with { Stopping = new EarlyStoppingSetting(monitor, minimize, patience, minDelta) };

    /// <summary>Every configuration error of a fit of <paramref name="epochs"/> epochs (empty when valid).</summary>
    public Seq<ConfigurationError> Validate(int epochs) =>
        Checks.As("Fit.epochs", FitOptions.ValidateEpochs(epochs))
        + Checks.As("TimeLimit.limit", FitOptions.ValidateTimeLimit(Limit))
        + (Pipeline is null && CorePipeline is null ? Prelude.Seq1(new ConfigurationError("With", null, "no optimizer: call With(...)")) : [])
        + (Pipeline?.Validate(Model.Parameters) ?? [])
        + (CheckpointFolder is { } store ? Checks.Of("Checkpoints", CheckpointStore.Validate(store.Folder, store.KeepLast)) : [])
        + (ResumeLatest && CheckpointFolder is null ? Prelude.Seq1(new ConfigurationError("Resume", null, "there is nothing to resume from: call Checkpoints(folder) too")) : [])
        + (Stopping is { } stop ? Checks.Of("EarlyStopping", Training.EarlyStopping.Validate(stop.Monitor, stop.Patience, stop.MinDelta)) : []);

    /// <summary>The core optimizer pipeline.</summary>
    /// <exception cref="ConfigurationException">The configuration is invalid; it lists every error.</exception>
    public IGradientTransformation Optimizer()
    {
        ThrowIfInvalid(1);
        return CorePipeline ?? Pipeline!.Build(Model.Parameters);
    }

    /// <summary>
    /// The core fit options for <paramref name="epochs"/> epochs, observers in this order: the log, the observers and
    /// callbacks in the order they were added, the checkpoints (creates the checkpoint folder when one is set).
    /// </summary>
    /// <exception cref="ConfigurationException">The configuration is invalid; it lists every error.</exception>
    public FitOptions Options(int epochs)
    {
        ThrowIfInvalid(epochs);
        return new FitOptions
        {
            Epochs = epochs,
            TimeLimit = Limit,
            EarlyStopping = Stopping is { } stop ? new Training.EarlyStopping(stop.Monitor, stop.Minimize, stop.Patience, stop.MinDelta) : null,
            Observers =
            [
                .. LogPath is { } log ? [new MetricsLogObserver(log)] : Array.Empty<IFitObserver>(),
                .. Watchers,
                .. Store() is { } store ? [new CheckpointObserver(store)] : Array.Empty<IFitObserver>(),
            ],
        };
    }

    CheckpointStore? Store() => CheckpointFolder is { } folder ? new CheckpointStore(folder.Folder, folder.KeepLast) : null;

    /// <summary>
    /// Trains until <paramref name="epochs"/> epochs are done, from the model's parameters and model state (or, with
    /// <see cref="Resume"/>, from the newest checkpoint, which must hold a model state of the same structure):
    /// <c>Fit.Run(loss, optimizer, TrainState.Init(parameters, modelState, optimizer, seed), data, validation, Options(epochs))</c>.
    /// The model's parameters and state stay the caller's; the result's state (with the model state the fit reached)
    /// belongs to the caller.
    /// </summary>
    /// <exception cref="ConfigurationException">The configuration is invalid; it lists every error.</exception>
    public FitResult<TParams, TModelState> Fit(TrainingData<TBatch> data, int epochs) => Fit(data, epochs, CancellationToken.None);

    /// <summary>As <see cref="Fit(TrainingData{TBatch}, int)"/>, stopping cleanly when <paramref name="cancellation"/> is cancelled.</summary>
    public FitResult<TParams, TModelState> Fit(TrainingData<TBatch> data, int epochs, CancellationToken cancellation)
    {
        ThrowIfInvalid(epochs);
        var (optimizer, options) = (Optimizer(), Options(epochs));
        var start = TrainStateFile.ResumeOrInit(ResumeLatest ? Store() : null, Model.Parameters, Model.State, optimizer, RandomSeed, restart: false).State;
        return Training.Fit.Run(Model.Loss, optimizer, start, data, Validation, options, cancellation);
    }

    /// <summary>
    /// Trains on the same in-memory <paramref name="batches"/> every epoch, in order. The batches stay the caller's:
    /// they are not released, so they must not be <see cref="IDisposable"/> (the fit releases those).
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="TBatch"/> is <see cref="IDisposable"/>: give <see cref="TrainingData{TBatch}"/> that makes fresh batches instead.</exception>
    public FitResult<TParams, TModelState> Fit(IReadOnlyList<TBatch> batches, int epochs) =>
        typeof(IDisposable).IsAssignableFrom(typeof(TBatch))
            ? throw new ArgumentException($"The fit releases each {typeof(TBatch).Name} after its step, so a list of them can serve only one epoch; pass TrainingData that makes fresh batches.", nameof(batches))
            : Fit(new TrainingData<TBatch>(batches.Count, position => batches.Skip(position.Batch)), epochs);

    void ThrowIfInvalid(int epochs)
    {
        var errors = Validate(epochs);
        if (!errors.IsEmpty) throw new ConfigurationException("Trainer", errors);
    }
}

/// <summary>The early stopping asked for, unchecked.</summary>
internal sealed record EarlyStoppingSetting(string Monitor, bool Minimize, int Patience, double MinDelta);
