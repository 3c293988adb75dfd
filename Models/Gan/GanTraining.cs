using Functional.Core;
using TorchSharp;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>Where a GAN training run writes, and for how long it may run.</summary>
/// <param name="OutputDirectory">Holds <c>checkpoints/</c>, <c>gan-options.json</c> and <c>samples/epoch-NNNN.png</c>.</param>
/// <param name="Restart">Delete the checkpoints in the output directory and start over, instead of resuming from the newest.</param>
/// <param name="TimeBudget">The fit stops (saving a checkpoint and a grid) after the step that reaches this much time.</param>
/// <param name="GridColumns">Tiles per row of the per-epoch sample grid (the grid is square).</param>
public sealed record GanRun(string OutputDirectory, bool Restart, TimeSpan TimeBudget, int GridColumns)
{
    /// <summary>
    /// The device the networks are made (or loaded) and trained on, the data moved there once; null: torch's default
    /// device (<c>torch.get_default_device()</c>, which the application chooses). The command line sets it from <c>--device</c>.
    /// </summary>
    public torch.Device? Device { get; init; }

    /// <summary>Checkpoints kept in <c>OUT/checkpoints</c>.</summary>
    public const int KeepCheckpoints = 2;

    /// <summary><c>runs/gan</c>, resuming, no time limit to speak of, a 10x10 grid.</summary>
    public static GanRun Default { get; } = new("runs/gan", false, TimeSpan.FromDays(1), 10);

    /// <summary>The checkpoint folder, <c>OUT/checkpoints</c>.</summary>
    public string CheckpointDirectory => Path.Combine(OutputDirectory, "checkpoints");
}

/// <summary>A GAN run read back: the options it was trained with and its newest train state.</summary>
/// <param name="Options">The run's options (they fix the network sizes).</param>
/// <param name="State">Parameters, optimizer state, spectral vectors (model state), step and position; the caller releases it.</param>
public sealed record GanSnapshot(GanOptions Options, TrainState<GanParams, GanState> State);

/// <summary>
/// Trains the GAN on MNIST t10k (pixels scaled to [-1, 1]) with the common fit loop: the single loss as a
/// <see cref="ModelLoss{TParams, TModelState, TBatch}"/> (<see cref="GanModel.Loss"/>) through <see cref="Fit.Run{TParams, TModelState, TBatch}"/>, or
/// the alternating step through <see cref="Fit.RunSteps{TParams, TModelState, TBatch}"/>, on one <see cref="TrainState{TParams, TModelState}"/> whose
/// model state is the spectral vectors. Full shuffled batches (a <see cref="BatchPlan"/> of the seed and epoch; the last
/// partial batch is left out), noise from the train state's generator, a checkpoint (<see cref="TrainStateFile"/>) and a
/// sample grid (<see cref="SampleGridObserver"/>) after each epoch. A run resumes from its newest checkpoint exactly as
/// the uninterrupted one would continue, with the options saved in its folder (<see cref="GanOptionsFile"/>).
/// </summary>
public static class GanTraining
{
    /// <summary>Samples scored after each epoch.</summary>
    public const int ScoredSamples = 1000;

    /// <summary>
    /// Runs the training in the run folder (<see cref="FolderRun"/>, one process: its lock, checkpoints, metrics log). A
    /// folder with checkpoints is resumed with its saved options (only <c>Epochs</c> is taken from <paramref name="options"/>);
    /// otherwise (or with <c>run.Restart</c>) it starts afresh with <paramref name="options"/>, which are saved first.
    /// <paramref name="observers"/> (a progress bar) run before the sample grid and the checkpoint; <paramref name="output"/>
    /// is told where the run starts and with which options (and of checkpoints set aside). Returns the fit's result (the
    /// caller owns its state).
    /// </summary>
    /// <exception cref="InvalidDataException">The folder has checkpoints but no options file, or checkpoints that do not fit its options.</exception>
    public static FitResult<GanParams, GanState> Run(GanOptions options, GanRun run, IReadOnlyList<IFitObserver> observers, Action<GanEpochSamples> onSamples,
        ScoringClassifier? scorer, CancellationToken cancellation, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        output ??= TextWriter.Null;
        using var folder = FolderRun.Open(new RunOptions(run.OutputDirectory) { Restart = run.Restart, KeepCheckpoints = GanRun.KeepCheckpoints, Output = output }, SingleProcess.Instance);
        options = ChooseOptions(options, run, folder.Resuming);
        var device = run.Device ?? torch.get_default_device();
        var optimizer = GanOptimizer.Adam(options);
        if (!folder.Resuming) GanOptionsFile.Write(run.OutputDirectory, options);
        output.WriteLine($"{(folder.Resuming ? $"Resuming the run in {run.OutputDirectory}." : "Starting afresh.")} Options: {options}");

        using var pixels = OnDevice(Pixels(options.DataDirectory), device);
        using var grid = new SampleGridObserver(run.OutputDirectory, run.GridColumns, options, device, scorer, onSamples);
        using var generator = new torch.Generator((ulong)options.Seed, device);
        var fresh = GanParams.Init(generator, options, device);
        var freshState = GanModel.InitState(generator, fresh, options);
        try
        {
            return folder.Fit(new RunPlan<GanParams, GanState, torch.Tensor>(fresh, freshState, optimizer.Joint, GanModel.Loss(options.Lambda), GlobalBatches(pixels, options.BatchSize, options.Seed), (ulong)options.Seed)
            {
                Fit = new FitOptions { Epochs = options.Epochs, TimeLimit = run.TimeBudget == TimeSpan.MaxValue ? null : run.TimeBudget, Observers = [.. observers, grid] },
                Step = options.Update == GanUpdate.SingleLoss ? null : AlternatingStep.Step(optimizer, options.Lambda),
            }, cancellation);
        }
        finally
        {
            Tree.Dispose(fresh);
            Tree.Dispose(freshState);
        }
    }

    /// <summary>
    /// Full batches of <paramref name="pixels"/> in the shuffled order of <see cref="BatchPlan.Shuffled"/> for the seed
    /// and epoch (the last partial batch is left out), as a run's data: each batch a fresh tensor the consumer releases.
    /// </summary>
    /// <exception cref="ArgumentException">The batch is larger than the data.</exception>
    public static RunData<torch.Tensor> GlobalBatches(torch.Tensor pixels, int batchSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var count = (int)pixels.shape[0];
        var perEpoch = count / batchSize;
        if (perEpoch < 1) throw new ArgumentException($"The batch size {batchSize} is larger than the data ({count} digits).");
        return new RunData<torch.Tensor>(perEpoch, epoch => BatchPlan.Shuffled(count, batchSize, seed, epoch).Take(perEpoch).ToArray(), indices =>
        {
            using var index = torch.tensor(indices.Select(i => (long)i).ToArray(), device: pixels.device);
            return pixels.index_select(0, index);
        });
    }

    /// <summary>
    /// The options and newest checkpoint of the run in <paramref name="outputDirectory"/>, on <paramref name="device"/>,
    /// read without writing to the folder (<see cref="CheckpointCopy"/>), so a run may be training there meanwhile.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no options file or no checkpoint.</exception>
    /// <exception cref="InvalidDataException">The options file or the checkpoints are damaged or do not fit each other.</exception>
    public static GanSnapshot LoadLatest(string outputDirectory, torch.Device device)
    {
        var options = GanOptionsFile.Read(outputDirectory)
            ?? throw new FileNotFoundException($"No GAN run in {outputDirectory} (no {GanOptionsFile.FileName}); run `gan train --out {outputDirectory}` first.", GanOptionsFile.PathIn(outputDirectory));
        using var generator = new torch.Generator((ulong)options.Seed, device);
        var template = GanParams.Init(generator, options, device);
        var stateTemplate = GanModel.InitState(generator, template, options);
        try
        {
            var folder = Path.Combine(outputDirectory, "checkpoints");
            var loaded = CheckpointCopy.LoadLatest(folder, template, stateTemplate, GanOptimizer.Adam(options).Joint)
                ?? throw new FileNotFoundException($"No GAN checkpoint in {folder}; run `gan train --out {outputDirectory}` first.", folder);
            return new GanSnapshot(options, loaded.State);
        }
        finally
        {
            Tree.Dispose(template);
            Tree.Dispose(stateTemplate);
        }
    }

    static GanOptions ChooseOptions(GanOptions options, GanRun run, bool resuming)
    {
        if (!resuming) return options.Validated();
        var saved = GanOptionsFile.Read(run.OutputDirectory)
            ?? throw new InvalidDataException(
                $"{run.CheckpointDirectory} holds checkpoints but {GanOptionsFile.PathIn(run.OutputDirectory)} is missing, so the networks they belong to are unknown; start over with --restart or choose another folder.");
        return (saved with { Epochs = options.Epochs }).Validated();
    }

    /// <summary>The MNIST t10k digits as float32 [10000, 784] with pixels scaled to [-1, 1] (the generator's range).</summary>
    public static torch.Tensor Pixels(string directory)
    {
        var data = Mnist.Load(directory);
        using var scope = torch.NewDisposeScope();
        using var halfBrightest = 127.5f.ToScalar();
        var pixels = data.Images.reshape(-1, DigitClassifier.Pixels).to(torch.float32).div(halfBrightest).sub(Scalars.One).MoveToOuterDisposeScope();
        data.Images.Dispose();
        data.Labels.Dispose();
        return pixels;
    }

    static torch.Tensor OnDevice(torch.Tensor tensor, torch.Device device)
    {
        if (tensor.device_type == device.type) return tensor;
        var moved = tensor.to(device);
        tensor.Dispose();
        return moved;
    }

    /// <summary>The generator's images for <paramref name="noise"/>, computed without gradients.</summary>
    public static torch.Tensor Sample(GeneratorParams generator, torch.Tensor noise)
    {
        using var noGradient = torch.no_grad();
        return GanGenerator.Apply(generator, noise);
    }
}
