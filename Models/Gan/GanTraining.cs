using System.Diagnostics;
using Functional.Core;
using TorchSharp;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>Where a GAN training run writes, and for how long it may run.</summary>
/// <param name="OutputDirectory">Holds <c>checkpoints/</c> and <c>samples/epoch-NNNN.png</c>.</param>
/// <param name="Resume">Continue from the newest checkpoint in the output directory (its options fix the networks) instead of refusing to overwrite it.</param>
/// <param name="TimeBudget">No epoch is started that would, at the last epoch's pace, end after this much time.</param>
/// <param name="GridColumns">Tiles per row of the per-epoch sample grid (the grid is square).</param>
public sealed record GanRun(string OutputDirectory, bool Resume, TimeSpan TimeBudget, int GridColumns)
{
    /// <summary>
    /// The device the networks are made (or loaded) and trained on, the data moved there once; null: torch's default
    /// device (<c>torch.get_default_device()</c>, which the application chooses). The command line sets it from <c>--device</c>.
    /// </summary>
    public torch.Device? Device { get; init; }

    /// <summary><c>runs/gan</c>, no resume, no time limit to speak of, a 10x10 grid.</summary>
    public static GanRun Default { get; } = new("runs/gan", false, TimeSpan.FromDays(1), 10);
}

/// <summary>One finished epoch.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="Step">Steps taken so far.</param>
/// <param name="DiscriminatorLoss">Mean discriminator hinge loss over the epoch.</param>
/// <param name="GeneratorLoss">Mean generator hinge loss over the epoch.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
/// <param name="GridPath">The PNG of samples from the fixed grid noise (by <see cref="GanOptimizer.SamplingGenerator"/>).</param>
/// <param name="Samples">Samples of the epoch's sampling generator for scoring, [count, 784] in [-1, 1], on the CPU.</param>
public sealed record GanEpoch(int Epoch, long Step, double DiscriminatorLoss, double GeneratorLoss, double Seconds, string GridPath, torch.Tensor Samples);

/// <summary>Callbacks of a training run: progress within an epoch and the end of each epoch.</summary>
/// <param name="StepDone">Called after each step with the epoch, the 1-based step in it, the steps per epoch and the step's losses.</param>
/// <param name="EpochDone">Called after each epoch (its samples are disposed after the call).</param>
public sealed record GanReporting(Action<int, int, int, GanMetrics> StepDone, Action<GanEpoch> EpochDone);

/// <summary>
/// Trains the GAN on MNIST t10k (pixels scaled to [-1, 1]): shuffled full batches, the step chosen by
/// <see cref="GanOptions.Update"/>, and after each epoch a grid of samples from fixed noise and a checkpoint.
/// Each epoch shuffles and draws noise with a generator seeded by (seed, epoch), so a run resumed from an epoch's
/// checkpoint continues exactly as the uninterrupted one.
/// </summary>
public static class GanTraining
{
    /// <summary>Samples handed to <see cref="GanReporting.EpochDone"/> for scoring.</summary>
    public const int ScoredSamples = 1000;

    /// <summary>Runs the training; returns the final state.</summary>
    /// <exception cref="IOException">The output directory already has checkpoints and <c>run.Resume</c> is false.</exception>
    public static GanState Run(GanOptions options, GanRun run, GanReporting reporting)
    {
        using var runLock = RunFolderLock.Acquire(run.OutputDirectory);
        var store = new CheckpointStore(Path.Combine(run.OutputDirectory, "checkpoints"), keepLast: 2);
        if (store.Steps().Count > 0 && !run.Resume)
            throw new IOException($"{run.OutputDirectory} already holds checkpoints (steps {string.Join(", ", store.Steps())}); resume, or choose another output directory.");
        var device = run.Device ?? torch.get_default_device();
        var resumed = run.Resume ? GanCheckpoint.LoadLatest(store, device) : null;
        options = (resumed is null ? options : resumed.Options with { Epochs = options.Epochs }).Validated();
        var optimizer = GanOptimizer.Adam(options);
        GanState state;
        using (var init = new torch.Generator((ulong)options.Seed, device)) state = resumed?.State ?? GanState.Init(init, options, optimizer, device);

        using var pixels = OnDevice(Pixels(options.DataDirectory), device);
        var stepsPerEpoch = (int)(pixels.shape[0] / options.BatchSize);
        if (stepsPerEpoch < 1) throw new ArgumentException($"The batch size {options.BatchSize} is larger than the data ({pixels.shape[0]} digits).");
        using var gridGenerator = new torch.Generator((ulong)options.Seed + 7919, device);
        using var gridNoise = GanGenerator.Noise(state.Parameters.Generator, run.GridColumns * run.GridColumns, gridGenerator);
        using var scoreNoise = GanGenerator.Noise(state.Parameters.Generator, ScoredSamples, gridGenerator);

        var budget = Stopwatch.StartNew();
        var lastEpoch = TimeSpan.Zero;
        for (var epoch = (int)(state.Step / stepsPerEpoch) + 1; epoch <= options.Epochs; epoch++)
        {
            if (budget.Elapsed + lastEpoch > run.TimeBudget) break;
            var clock = Stopwatch.StartNew();
            using var generator = new torch.Generator((ulong)options.Seed * 1_000_003 + (ulong)epoch, device);
            using var order = torch.randperm(pixels.shape[0], generator: generator);
            double discriminatorSum = 0, generatorSum = 0;
            for (var step = 0; step < stepsPerEpoch; step++)
            {
                using var indices = order.narrow(0, (long)step * options.BatchSize, options.BatchSize);
                using var batch = pixels.index_select(0, indices);
                var result = options.Update == GanUpdate.SingleLoss
                    ? SingleLossStep.Step(optimizer.Joint, options.Lambda, state, batch, generator)
                    : AlternatingStep.Step(optimizer, options.Lambda, state, batch, generator);
                Tree.Dispose(state);
                state = result.State;
                discriminatorSum += result.Metrics.DiscriminatorLoss;
                generatorSum += result.Metrics.GeneratorLoss;
                reporting.StepDone(epoch, step + 1, stepsPerEpoch, result.Metrics);
            }
            var gridPath = Path.Combine(run.OutputDirectory, "samples", $"epoch-{epoch:D4}.png");
            var sampling = GanOptimizer.SamplingGenerator(state);
            using (var grid = Sample(sampling, gridNoise)) SampleGrid.WritePng(gridPath, grid, run.GridColumns, scale: 2);
            GanCheckpoint.Save(store, state, options);
            lastEpoch = clock.Elapsed;
            using var samples = Sample(sampling, scoreNoise);
            Tree.Dispose(sampling);
            reporting.EpochDone(new GanEpoch(epoch, state.Step, discriminatorSum / stepsPerEpoch, generatorSum / stepsPerEpoch, lastEpoch.TotalSeconds, gridPath, samples));
        }
        return state;
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
