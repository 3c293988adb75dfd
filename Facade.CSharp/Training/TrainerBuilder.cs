using Functional.Models;
using Functional.Optimizers;
using LanguageExt;

namespace Functional.Facade;

/// <summary>
/// An immutable training run under construction; every method returns a new builder and sets one part of the
/// <see cref="FitOptions"/> (or the optimizer, the seed, the validation). <see cref="Fit(TrainingData{TBatch}, int)"/>
/// is <see cref="TrainState.Init{TParams}"/> then <see cref="Models.Fit.Run{TParams, TBatch}"/>.
/// </summary>
/// <remarks>
/// Nothing is checked until <see cref="Validate"/> or <c>Fit</c>, which report every error at once: no optimizer,
/// the optimizer's own errors against the model's parameter tree (unknown and overlapping rule paths included), an
/// epoch count below 1, an empty checkpoint folder or a <c>keepLast</c> below 1, an early-stopping patience below 1.
/// </remarks>
public sealed record TrainerBuilder<TParams, TBatch>
{
    internal TrainerBuilder(Trainable<TParams, TBatch> model) => Model = model;

    Trainable<TParams, TBatch> Model { get; init; }
    OptimizerBuilder? Pipeline { get; init; }
    IGradientTransformation? CorePipeline { get; init; }
    ulong RandomSeed { get; init; }
    FitOptions Settings { get; init; } = FitOptions.Default;
    (string Folder, int KeepLast)? CheckpointFolder { get; init; }
    EarlyStoppingSetting? Stopping { get; init; }
    Func<TParams, IReadOnlyDictionary<string, double>>? Validation { get; init; }
    bool ResumeLatest { get; init; }

    /// <summary>Trains with the facade pipeline <paramref name="optimizer"/>, built against the model's parameters.</summary>
    public TrainerBuilder<TParams, TBatch> With(OptimizerBuilder optimizer) => this with { Pipeline = optimizer, CorePipeline = null };

    /// <summary>Trains with a core pipeline.</summary>
    public TrainerBuilder<TParams, TBatch> With(IGradientTransformation optimizer) => this with { CorePipeline = optimizer, Pipeline = null };

    /// <summary>The seed of the generator the model draws dropout from (<see cref="TrainState.Init{TParams}"/>); 0 by default.</summary>
    public TrainerBuilder<TParams, TBatch> Seed(ulong seed) => this with { RandomSeed = seed };

    /// <summary>A progress bar on the console, redrawn in place on a terminal: <see cref="FitOptions.Progress"/>.</summary>
    public TrainerBuilder<TParams, TBatch> ProgressBar() => ProgressBar(Console.Out, !Console.IsOutputRedirected);

    /// <summary>A progress bar on <paramref name="output"/>: <see cref="FitOptions.Progress"/>, <see cref="FitOptions.InteractiveProgress"/>.</summary>
    public TrainerBuilder<TParams, TBatch> ProgressBar(TextWriter output, bool interactive) =>
        this with { Settings = Settings with { Progress = output, InteractiveProgress = interactive } };

    /// <summary>Saves the whole train state in <paramref name="folder"/> after every epoch, keeping the newest 3: <see cref="FitOptions.Checkpoints"/>.</summary>
    public TrainerBuilder<TParams, TBatch> Checkpoints(string folder) => Checkpoints(folder, keepLast: 3);

    /// <summary>Saves the whole train state in <paramref name="folder"/> after every epoch, keeping the newest <paramref name="keepLast"/>.</summary>
    public TrainerBuilder<TParams, TBatch> Checkpoints(string folder, int keepLast) => this with { CheckpointFolder = (folder, keepLast) };

    /// <summary>
    /// Continues from the newest checkpoint in the <see cref="Checkpoints(string)"/> folder when there is one
    /// (<see cref="TrainStateFile.LoadLatest{TParams}"/>), at its epoch, batch and step; otherwise starts afresh.
    /// </summary>
    public TrainerBuilder<TParams, TBatch> Resume() => this with { ResumeLatest = true };

    /// <summary>Writes every step's metrics to a JSON-lines file: <see cref="FitOptions.LogPath"/>.</summary>
    public TrainerBuilder<TParams, TBatch> Log(string path) => this with { Settings = Settings with { LogPath = path } };

    /// <summary>Redraws a loss chart (PNG) after each epoch: <see cref="FitOptions.ChartPath"/>.</summary>
    public TrainerBuilder<TParams, TBatch> Chart(string path) => this with { Settings = Settings with { ChartPath = path } };

    /// <summary>Stops after <paramref name="limit"/> of training: <see cref="FitOptions.TimeLimit"/>.</summary>
    public TrainerBuilder<TParams, TBatch> TimeLimit(TimeSpan limit) => this with { Settings = Settings with { TimeLimit = limit } };

    /// <summary>Calls <paramref name="callback"/> after each epoch (it may stop the fit): <see cref="FitOptions.Callbacks"/>.</summary>
    public TrainerBuilder<TParams, TBatch> Callback(Func<EpochReport, FitDecision> callback) =>
        this with { Settings = Settings with { Callbacks = [.. Settings.Callbacks, callback] } };

    /// <summary>
    /// Validates after each epoch on the batches <paramref name="batches"/> returns (called once per epoch; batches that
    /// are <see cref="IDisposable"/> are released after use): <see cref="Training.Evaluate{TParams, TBatch}"/>.
    /// </summary>
    public TrainerBuilder<TParams, TBatch> ValidateOn(Func<IEnumerable<TBatch>> batches) =>
        this with { Validation = parameters => Training.Evaluate(Model.Loss, parameters, batches()) };

    /// <summary>Stops when the validation loss has not decreased for <paramref name="patience"/> epochs: <see cref="Models.EarlyStopping"/>.</summary>
    public TrainerBuilder<TParams, TBatch> EarlyStopping(int patience) => EarlyStopping(Training.LossName, minimize: true, patience, minDelta: 0);

    /// <summary>Stops when <paramref name="monitor"/> has not improved by <paramref name="minDelta"/> for <paramref name="patience"/> epochs: <see cref="Models.EarlyStopping"/>.</summary>
    public TrainerBuilder<TParams, TBatch> EarlyStopping(string monitor, bool minimize, int patience, double minDelta) =>
        this with { Stopping = new EarlyStoppingSetting(monitor, minimize, patience, minDelta) };

    /// <summary>Every configuration error of a fit of <paramref name="epochs"/> epochs (empty when valid).</summary>
    public Seq<ConfigurationError> Validate(int epochs) =>
        Checks.AtLeastOne("Fit.epochs", epochs)
        + (Pipeline is null && CorePipeline is null ? Prelude.Seq1(new ConfigurationError("With", null, "no optimizer: call With(...)")) : [])
        + (Pipeline?.Validate(Model.Parameters) ?? [])
        + (CheckpointFolder is { } store ? Checks.Pattern("Checkpoints.folder", store.Folder).Map(e => e with { Problem = "the folder must not be empty" }) + Checks.AtLeastOne("Checkpoints.keepLast", store.KeepLast) : [])
        + (ResumeLatest && CheckpointFolder is null ? Prelude.Seq1(new ConfigurationError("Resume", null, "there is nothing to resume from: call Checkpoints(folder) too")) : [])
        + (Stopping is { } stop ? Checks.Pattern("EarlyStopping.monitor", stop.Monitor).Map(e => e with { Problem = "name the metric to monitor" })
                                  + Checks.AtLeastOne("EarlyStopping.patience", stop.Patience) + Checks.NonNegative("EarlyStopping.minDelta", stop.MinDelta) : []);

    /// <summary>The core optimizer pipeline.</summary>
    /// <exception cref="ConfigurationException">The configuration is invalid; it lists every error.</exception>
    public IGradientTransformation Optimizer()
    {
        ThrowIfInvalid(1);
        return CorePipeline ?? Pipeline!.Build(Model.Parameters);
    }

    /// <summary>The core fit options for <paramref name="epochs"/> epochs (creates the checkpoint folder when one is set).</summary>
    /// <exception cref="ConfigurationException">The configuration is invalid; it lists every error.</exception>
    public FitOptions Options(int epochs)
    {
        ThrowIfInvalid(epochs);
        return Settings with
        {
            Epochs = epochs,
            Checkpoints = CheckpointFolder is { } store ? new CheckpointStore(store.Folder, store.KeepLast) : null,
            EarlyStopping = Stopping is { } stop ? new Models.EarlyStopping(stop.Monitor, stop.Minimize, stop.Patience, stop.MinDelta) : null,
        };
    }

    /// <summary>
    /// Trains until <paramref name="epochs"/> epochs are done, from the model's parameters (or, with
    /// <see cref="Resume"/>, from the newest checkpoint):
    /// <c>Fit.Run(loss, optimizer, TrainState.Init(parameters, optimizer, seed), data, validation, Options(epochs))</c>.
    /// The model's parameters stay the caller's; the result's state belongs to the caller.
    /// </summary>
    /// <exception cref="ConfigurationException">The configuration is invalid; it lists every error.</exception>
    public FitResult<TParams> Fit(TrainingData<TBatch> data, int epochs) => Fit(data, epochs, CancellationToken.None);

    /// <summary>As <see cref="Fit(TrainingData{TBatch}, int)"/>, stopping cleanly when <paramref name="cancellation"/> is cancelled.</summary>
    public FitResult<TParams> Fit(TrainingData<TBatch> data, int epochs, CancellationToken cancellation)
    {
        ThrowIfInvalid(epochs);
        var (optimizer, options) = (Optimizer(), Options(epochs));
        var start = (ResumeLatest ? TrainStateFile.LoadLatest(options.Checkpoints!, Model.Parameters, optimizer) : null)
                    ?? TrainState.Init(Model.Parameters, optimizer, RandomSeed);
        return Models.Fit.Run(Model.Loss, optimizer, start, data, Validation, options, cancellation);
    }

    /// <summary>
    /// Trains on the same in-memory <paramref name="batches"/> every epoch, in order. The batches stay the caller's:
    /// they are not released, so they must not be <see cref="IDisposable"/> (the fit releases those).
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="TBatch"/> is <see cref="IDisposable"/>: give <see cref="TrainingData{TBatch}"/> that makes fresh batches instead.</exception>
    public FitResult<TParams> Fit(IReadOnlyList<TBatch> batches, int epochs) =>
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
