using Functional.Core;
using Functional.Models.Digits;
using Functional.Training;
using Functional.PropertyTests.Training;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.NativeMemory;

/// <summary>
/// Issue 31, item 2 (a SIGSEGV in libtorch_cpu.so under mpirun with an aggressive garbage collector): a tensor that no
/// one disposes is released by its finalizer, on the finalizer thread, at any moment after its last managed use, even in
/// the middle of a native call that still reads it (<c>value.detach().cpu()</c> outside a dispose scope: the detached
/// handle is unreachable once its address is passed). These tests hold the paths a training run takes every step, every
/// checkpoint and at a resume to the rule that removes that race: every tensor made is disposed explicitly (a
/// <c>using</c>, a dispose scope, or its owner), so no finalizer ever frees one. They count live native tensors with the
/// collector switched off (no finalizer can run), so a tensor left to the finalizer shows as one too many.
/// </summary>
[Collection(NativeMemoryCollection.Name)]
public sealed class FinalizerFreeTests
{
    const int Hidden = 8;

    [Fact]
    public void Saving_and_loading_a_checkpoint_leaves_no_tensor_to_the_finalizer()
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var run = new RunOptions(folder) { KeepCheckpoints = 2, CheckpointEverySteps = 5 };
        var store = new CheckpointStore(run.CheckpointFolder, keepLast: 2);
        var options = MnistTrainingOptions.Default with { Hidden = Hidden };
        var pipeline = MnistTraining.Pipeline(options, stepsPerEpoch: 10);
        using var generator = new torch.Generator(1);
        var template = DigitClassifier.Init(generator, Hidden, options.DropoutRate, torch.CPU);
        var state = TrainState.Init(template, NoState.Value, pipeline, seed: 3);
        TrainStateFile.Save(store, state);   // a first save outside the count: lazily built caches are not leaks

        var left = LeftToFinalizer(() => TrainStateFile.Save(store, state with { Step = 1 }));
        Assert.Equal(0, left);

        left = LeftToFinalizer(() => TrainState.Dispose(TrainStateFile.Load(store, 1, template, NoState.Value, pipeline)));
        Assert.Equal(0, left);

        left = LeftToFinalizer(() => TrainState.Dispose(TrainStateFile.ResumeOrInit(store, template, NoState.Value, pipeline, seed: 3, restart: false).State));
        Assert.Equal(0, left);

        left = LeftToFinalizer(() => TrainStateFile.RequireRoom(store, state, extraBytes: 0));
        Assert.Equal(0, left);
        TrainState.Dispose(state);
    }

    [Fact]
    public void A_resumed_mnist_fit_with_checkpoints_and_loader_workers_leaves_no_tensor_to_the_finalizer()
    {
        var folder = TrainingFixtures.TemporaryFolder();
        var run = new RunOptions(folder) { KeepCheckpoints = 2, CheckpointEverySteps = 5 };
        var store = new CheckpointStore(run.CheckpointFolder, keepLast: 2);
        var options = MnistTrainingOptions.Default with { DataDirectory = SharedData.Folder("mnist-t10k"), Hidden = Hidden, Epochs = 1, Workers = 2, Device = torch.CPU };
        // A first run, stopped early by its time budget, leaves checkpoints to resume from.
        TrainState.Dispose(MnistTraining.Run(options, run, new FitOptions { Epochs = 1, TimeLimit = TimeSpan.FromMilliseconds(300) }, SingleProcess.Instance, CancellationToken.None).State);
        Assert.NotEmpty(store.Steps());

        var left = LeftToFinalizer(() => TrainState.Dispose(MnistTraining.Run(options, run, new FitOptions { Epochs = 1 }, SingleProcess.Instance, CancellationToken.None).State));
        Assert.Equal(0, left);
    }

    /// <summary>How many tensors <paramref name="action"/> made and did not dispose (none are left over by design).</summary>
    static long LeftToFinalizer(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = torch.Tensor.TotalCount;
        // No collection may run meanwhile: a finalizer would hide the tensors left to it.
        Assert.True(GC.TryStartNoGCRegion(200_000_000), "Could not switch the collector off.");
        try
        {
            action();
            return torch.Tensor.TotalCount - before;
        }
        finally
        {
            if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }
}
