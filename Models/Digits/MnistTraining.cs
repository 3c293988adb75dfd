using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Functional.Training;

namespace Functional.Models.Digits;

/// <summary>How the MNIST example trains.</summary>
/// <param name="DataDirectory">Holds the MNIST t10k files.</param>
/// <param name="Epochs">Passes over the training part.</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="LearningRate">Adam's peak learning rate (warm-up over the first epoch's tenth, then cosine decay to a twentieth).</param>
/// <param name="Hidden">Width of the hidden layers.</param>
/// <param name="DropoutRate">Share of features dropped in training.</param>
/// <param name="ValidationCount">Examples held out (the last ones of the file) for validation.</param>
/// <param name="EmaDecay">Decay of the parameter average used for validation (0: none, validation uses the parameters).</param>
/// <param name="Workers">Threads that gather batches ahead of the training loop.</param>
/// <param name="Seed">Seeds initialisation, shuffling and dropout.</param>
public sealed record MnistTrainingOptions(
    string DataDirectory, int Epochs, int BatchSize, double LearningRate, int Hidden, double DropoutRate, int ValidationCount, double EmaDecay, int Workers, int Seed)
{
    /// <summary>Ten epochs of Adam with batch 64 on 9,000 digits, 1,000 held out.</summary>
    public static MnistTrainingOptions Default { get; } = new("../shared/data/mnist-t10k", 10, 64, 2e-3, 256, 0.2, 1000, 0.99, 2, 1);

    /// <summary>
    /// The device the classifier is made, trained and evaluated on (the data is moved there once); null: torch's default
    /// device (<c>torch.get_default_device()</c>, which the application chooses). The command line sets it from <c>--device</c>.
    /// </summary>
    public torch.Device? Device { get; init; }

    /// <summary>
    /// Start over at step 0 even when the checkpoint folder holds checkpoints (they are deleted first); false (the
    /// default) resumes from the newest intact one and refuses to start over silently when none can be read.
    /// </summary>
    public bool Restart { get; init; }

    /// <summary>The classifier to train: the perceptron (the default) or the convolutional one with batch norm.</summary>
    public DigitModel Model { get; init; } = DigitModel.Mlp;

    /// <summary>The width of the convolutional classifier: its first block's feature maps (the second has twice as many).</summary>
    public int ConvChannels { get; init; } = 16;

    /// <summary>A wall-time budget in minutes (the fit stops, validating, once it has passed); 0, the default, has none.</summary>
    public double Minutes { get; init; }

    /// <summary>The budget as <see cref="FitOptions.TimeLimit"/>: null for 0.</summary>
    public TimeSpan? TimeLimit => Minutes > 0 ? TimeSpan.FromMinutes(Minutes) : null;
}

/// <summary>MNIST t10k split into pixels scaled to [0, 1] and digits, for training and validation.</summary>
/// <param name="Train">The first examples.</param>
/// <param name="Validation">The last <c>ValidationCount</c> examples.</param>
public sealed record MnistSplit(DigitBatch Train, DigitBatch Validation) : IDisposable
{
    /// <summary>Loads and splits the data set (checksums checked by <see cref="Mnist.Load"/>).</summary>
    public static MnistSplit Load(string directory, int validationCount)
    {
        var data = Mnist.Load(directory);
        using var scope = torch.NewDisposeScope();
        using var brightest = 255.0f.ToScalar();
        var pixels = data.Images.reshape(-1, DigitClassifier.Pixels).to(torch.float32).div(brightest);
        var trainCount = pixels.shape[0] - validationCount;
        if (trainCount < 1) throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"The data set has only {pixels.shape[0]} examples.");
        var split = new MnistSplit(
            new DigitBatch(pixels.narrow(0, 0, trainCount).contiguous(), data.Labels.narrow(0, 0, trainCount).contiguous()),
            new DigitBatch(pixels.narrow(0, trainCount, validationCount).contiguous(), data.Labels.narrow(0, trainCount, validationCount).contiguous()));
        scope.MoveToOuter(split.Train.Pixels, split.Train.Digits, split.Validation.Pixels, split.Validation.Digits);
        data.Images.Dispose();
        data.Labels.Dispose();
        return split;
    }

    /// <summary>
    /// This split on <paramref name="device"/>: itself when its tensors are already on that kind of device, else fresh
    /// copies there (this split is left as it is; the caller releases both).
    /// </summary>
    public MnistSplit To(torch.Device device) =>
        Train.Pixels.device_type == device.type ? this : new(Train.To(device), Validation.To(device));

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
    }
}

/// <summary>
/// Trains <see cref="DigitClassifier"/> (whose loss is computed inside the model) with the fit loop: Adam with a
/// warm-up and cosine schedule and a parameter EMA for validation, batches gathered by background workers.
/// </summary>
public static class MnistTraining
{
    /// <summary>The optimizer pipeline: Adam on a warm-up + cosine schedule over the whole run, then the parameter EMA (none when <see cref="MnistTrainingOptions.EmaDecay"/> is 0), on the fused kernel (<see cref="FusedAdam"/>).</summary>
    public static IGradientTransformation Pipeline(MnistTrainingOptions options, int stepsPerEpoch)
    {
        var total = (long)options.Epochs * stepsPerEpoch;
        var warmup = Math.Max(1, stepsPerEpoch / 10);
        var schedule = new WarmupCosine(options.LearningRate, warmup, Math.Max(1, total - warmup), options.LearningRate / 20);
        return Optimizer.FusedAdam(schedule, ScaleByAdam.Default) with { Average = options.EmaDecay > 0 ? new ParameterEma(options.EmaDecay, BiasCorrection: true) : null };
    }

    /// <summary>Shuffled batches of <paramref name="train"/> (a fresh permutation per epoch from <paramref name="seed"/>) made by <paramref name="workers"/> threads.</summary>
    public static TrainingData<DigitBatch> Data(DigitBatch train, int batchSize, int seed, int workers) =>
        GlobalBatches(train, batchSize, seed, workers).Batches(plan => plan);

    /// <summary>The global batches of <paramref name="train"/> as a run's data (<see cref="RunData{TBatch}"/>): a fresh permutation per epoch from <paramref name="seed"/>, gathered by <paramref name="workers"/> threads.</summary>
    public static RunData<DigitBatch> GlobalBatches(DigitBatch train, int batchSize, int seed, int workers)
    {
        ArgumentNullException.ThrowIfNull(train);
        var count = (int)train.Digits.shape[0];
        return new RunData<DigitBatch>((count + batchSize - 1) / batchSize, epoch => BatchPlan.Shuffled(count, batchSize, seed, epoch),
            indices => DigitBatch.Gather(train.Pixels, train.Digits, indices)) { Workers = workers };
    }

    /// <summary>Validation loss and accuracy on <paramref name="validation"/>, in batches of 500.</summary>
    public static Func<DigitClassifier, NoState, IReadOnlyDictionary<string, double>> Validation(DigitBatch validation) =>
        Validation<DigitClassifier, NoState>(DigitClassifier.Model, validation);

    /// <summary>
    /// Validation loss and accuracy of <paramref name="model"/> on <paramref name="validation"/>, in batches of 500, with
    /// the given model state read (running statistics), never changed.
    /// </summary>
    public static Func<TParams, TModelState, IReadOnlyDictionary<string, double>> Validation<TParams, TModelState>(ModelLoss<TParams, TModelState, DigitBatch> model, DigitBatch validation)
    {
        var count = (int)validation.Digits.shape[0];
        return (parameters, modelState) => TrainingSteps.Evaluate(model, parameters, modelState,
            Enumerable.Range(0, (count + 499) / 500).Select(b => DigitBatch.Gather(validation.Pixels, validation.Digits,
                Enumerable.Range(b * 500, Math.Min(500, count - b * 500)).ToArray())));
    }

    /// <summary>
    /// Trains the perceptron in the run folder of <paramref name="run"/> (<see cref="FolderRun"/>): from a fresh classifier,
    /// or from the newest checkpoint there (the run then continues exactly where it stopped), with its metrics log,
    /// checkpoints (after every epoch and every <see cref="RunOptions.CheckpointEverySteps"/> steps) and best validations
    /// (<see cref="RunOptions.Best"/>; validation reports <c>loss</c> and <c>accuracy</c>). <paramref name="fit"/> gives the
    /// epochs, time limit and the caller's observers. With a <paramref name="group"/> of several processes (<c>mpirun</c>):
    /// <see cref="MnistTrainingOptions.BatchSize"/> is the global batch, each rank takes its share; rank 0 alone reads the
    /// newest checkpoint (its state is broadcast), runs the observers and writes; a folder trained with another process
    /// count is refused; every rank returns the same final state (the caller owns it).
    /// </summary>
    public static FitResult<DigitClassifier, NoState> Run(MnistTrainingOptions options, RunOptions run, FitOptions fit, IRunGroup group, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        var network = new DigitNetwork<DigitClassifier, NoState>((generator, device) => DigitClassifier.Init(generator, options.Hidden, options.DropoutRate, device), _ => NoState.Value, DigitClassifier.Model);
        return Run(network, options, run, fit, group, cancellation);
    }

    /// <summary>
    /// Trains <paramref name="network"/> as the perceptron's <c>Run</c> does (the same data, batches, pipeline, run folder
    /// and data parallelism), with its model state (fresh from <see cref="DigitNetwork{TParams, TModelState}.InitState"/>, or the
    /// checkpoint's) carried by the train state. Under several processes every rank normalises with its own shard and the
    /// model state is averaged over the ranks after every step.
    /// </summary>
    internal static FitResult<TParams, TModelState> Run<TParams, TModelState>(DigitNetwork<TParams, TModelState> network, MnistTrainingOptions options, RunOptions run, FitOptions fit, IRunGroup group, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fit);
        using var folder = FolderRun.Open(run, group);
        var device = options.Device ?? torch.get_default_device();
        using var data = OnDevice(MnistSplit.Load(options.DataDirectory, options.ValidationCount), device);
        var batches = GlobalBatches(data.Train, options.BatchSize, options.Seed, options.Workers);
        var pipeline = Pipeline(options, batches.BatchesPerEpoch);
        using var generator = new torch.Generator((ulong)options.Seed, device);
        var fresh = network.Init(generator, device);
        var freshState = network.InitState(fresh);
        try
        {
            return folder.Fit(new RunPlan<TParams, TModelState, DigitBatch>(fresh, freshState, pipeline, network.Model, batches, (ulong)options.Seed)
            {
                Validate = Validation(network.Model, data.Validation),
                Fit = fit,
            }, cancellation);
        }
        finally
        {
            Tree.Dispose(fresh);
            Tree.Dispose(freshState);
        }
    }

    /// <summary><paramref name="split"/> on <paramref name="device"/> (the loaded one released when it was copied).</summary>
    internal static MnistSplit OnDevice(MnistSplit split, torch.Device device)
    {
        var moved = split.To(device);
        if (!ReferenceEquals(moved, split)) split.Dispose();
        return moved;
    }
}
