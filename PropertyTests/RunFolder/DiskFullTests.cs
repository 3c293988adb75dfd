using Functional.Core;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.PropertyTests.RunFolder;

/// <summary>
/// A run folder on a 2 MB tmpfs: a clear error before training when the checkpoints at their peak do not fit, or at a save with the
/// previous checkpoint intact and no temporary file left.
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output)
{
    SmallDisk? Mount()
    {
        var disk = SmallDisk.TryMount("2m", out var reason);
        // xunit 2 has no dynamic skip: the test says why it did not run and passes (CI runs as root, where mount works).
        if (disk is null) output.WriteLine($"SKIPPED: could not mount a tmpfs ({reason}); run the tests as root to check full disks.");
        return disk;
    }

    static NamedTensor[] Tensors(int bytes) => [new NamedTensor("w", torch.zeros(bytes / 4))];

    [Fact]
    public void A_checkpoint_that_does_not_fit_is_refused_before_writing_and_the_previous_one_survives()
    {
        using var disk = Mount();
        if (disk is null) return;
        var store = new CheckpointStore(Path.Combine(disk.Folder, "checkpoints"), keepLast: 2);
        store.Save(1, Tensors(600 << 10), new Dictionary<string, string>());
        store.Save(2, Tensors(600 << 10), new Dictionary<string, string>());

        var error = Assert.Throws<NotEnoughSpaceException>(() => store.Save(3, Tensors(900 << 10), new Dictionary<string, string>()));

        Assert.Contains($"Not enough free space in {store.Folder} for the checkpoint of step 3", error.Message);
        Assert.Equal([1L, 2], store.Steps());                     // what survives: both previous checkpoints
        Assert.Single(store.Load(2).Tensors);                      // and they load
        Assert.Empty(Directory.EnumerateFiles(store.Folder, "*.tmp"));
    }

    [Fact]
    public void A_write_that_fills_the_disk_half_way_removes_its_temporary_file_and_keeps_the_old_file()
    {
        using var disk = Mount();
        if (disk is null) return;
        var path = Path.Combine(disk.Folder, "model.safetensors");
        AtomicFile.WriteAllBytes(path, new byte[300 << 10]);

        // More than the disk holds: the write itself fails (no check before it).
        var error = Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(path, new byte[3 << 20]));

        Assert.Contains($"Could not write {path}: the disk is full", error.Message);
        Assert.Equal(300 << 10, new FileInfo(path).Length);      // what survives: the old file
        Assert.Equal([path], Directory.EnumerateFiles(disk.Folder)); // no temporary file
    }

    [Fact]
    public void Training_whose_checkpoints_do_not_fit_at_their_peak_stops_before_the_first_step()
    {
        using var disk = Mount();
        if (disk is null) return;
        var run = new RunOptions(disk.Folder) { KeepCheckpoints = 3 };
        var store = new CheckpointStore(run.CheckpointFolder, keepLast: 3);
        // 784 x 256 weights: about 0.8 MB of parameters, 3.2 MB a checkpoint with Adam's moments and the EMA.
        var options = MnistTrainingOptions.Default with { DataDirectory = SharedData.Folder("mnist-t10k"), Hidden = 256, Epochs = 1, Workers = 1 };
        var steps = 0;
        var fit = new FitOptions { Epochs = 1, Observers = [new StepCounter(() => steps++)] };

        var error = Assert.Throws<NotEnoughSpaceException>(() => MnistTraining.Run(options, run, fit, SingleProcess.Instance, CancellationToken.None));

        Assert.Contains($"Not enough free space in {store.Folder} for 4 checkpoints of", error.Message);
        Assert.Equal(0, steps);
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.Folder));
    }

    [Fact]
    public void The_start_check_reserves_the_peak_of_keep_last_plus_one_checkpoints_which_the_saves_then_really_need()
    {
        using var disk = Mount();
        if (disk is null) return;
        var store = new CheckpointStore(Path.Combine(disk.Folder, "checkpoints"), keepLast: 2);
        // A checkpoint file of about 705 kB: two fit on the 2 MB disk, the third (written before the oldest is deleted) does not.
        var state = TrainState.Init(new[] { torch.zeros(175_000) }, NoState.Value, Optimizer.Sgd(0.1), 3);

        var error = Assert.Throws<NotEnoughSpaceException>(() => TrainStateFile.RequireRoom(store, state, extraBytes: 0));

        Assert.Contains($"Not enough free space in {store.Folder} for 3 checkpoints of", error.Message);
        Assert.Contains("the store keeps 2 and writes the next before deleting the oldest", error.Message);
        // The check is not too strict: the third save is exactly what fails on this disk.
        TrainStateFile.Save(store, state with { Step = 1 });
        TrainStateFile.Save(store, state with { Step = 2 });
        Assert.ThrowsAny<IOException>(() => TrainStateFile.Save(store, state with { Step = 3 }));
        Assert.Equal([1L, 2], store.Steps());
        TrainState.Dispose(state);
    }

    sealed class StepCounter(Action step) : IFitObserver
    {
        public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> end) => step();
    }
}
