using Functional.Core;
using Functional.Optimizers;
using SkiaSharp;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Optimizers.OptimizerTesting;
using Functional.Models.Digits;
using Functional.Models.Gan;
using Functional.Training;

namespace Functional.PropertyTests.Gan;

/// <summary>What the GAN example writes: checkpoints, sample grids, and the classifier's score of samples.</summary>
public sealed class GanFilesTests : IDisposable
{
    readonly string folder = Path.Combine(Path.GetTempPath(), "gan-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>Cancels the fit after the step that reaches <paramref name="Step"/>.</summary>
    sealed record CancelAt(long Step, CancellationTokenSource Source) : IFitObserver
    {
        public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step)
        {
            if (step.State.Step == Step) Source.Cancel();
        }
    }

    /// <summary>A tiny GAN on the MNIST digits: 10 steps per epoch, spectral vectors, a generator average.</summary>
    static GanOptions Tiny(GanUpdate update) => GanOptions.Default with
    {
        DataDirectory = SharedData.Folder("mnist-t10k"), Epochs = 2, BatchSize = 1000, NoiseSize = 3, GeneratorHidden = 2, DiscriminatorHidden = 3,
        GeneratorEma = 0.9, Update = update,
    };

    static FitResult<GanParams, GanState> Train(GanOptions options, string output, IReadOnlyList<IFitObserver> observers, CancellationToken cancellation) =>
        GanTraining.Run(options, GanRun.Default with { OutputDirectory = output, GridColumns = 2 } with { Device = torch.CPU }, observers, _ => { }, null, cancellation);

    [Theory]
    [InlineData(GanUpdate.SingleLoss)]
    [InlineData(GanUpdate.Alternating)]
    public void A_run_stopped_mid_epoch_and_resumed_ends_bitwise_equal_to_an_uninterrupted_one(GanUpdate update)
    {
        using var scope = torch.NewDisposeScope();
        var options = Tiny(update);
        var (whole, parts) = (Path.Combine(folder, "whole"), Path.Combine(folder, "parts"));
        var uninterrupted = Train(options, whole, [], CancellationToken.None);

        using var stop = new CancellationTokenSource();
        var stopped = Train(options, parts, [new CancelAt(13, stop)], stop.Token);
        var resumed = Train(options, parts, [], CancellationToken.None);

        Assert.Equal(FitEnd.Cancelled, stopped.End);
        Assert.Equal(13, stopped.State.Step);
        Assert.Equal(20, resumed.State.Step);
        Assert.Equal(uninterrupted.State.Step, resumed.State.Step);
        AssertBitwise(uninterrupted.State.Parameters, resumed.State.Parameters);
        Assert.NotNull(resumed.State.ModelState.Spectral);
        AssertBitwise(uninterrupted.State.ModelState, resumed.State.ModelState);
        Assert.True(OptimizerStates.Equal(uninterrupted.State.OptimizerState, resumed.State.OptimizerState));
        Assert.True(Same.Bitwise(uninterrupted.State.RandomState, resumed.State.RandomState));
        Assert.True(File.Exists(Path.Combine(parts, "samples", "epoch-0002.png")));
        var snapshot = GanTraining.LoadLatest(parts, torch.CPU);
        Assert.Equal(options, snapshot.Options);
        AssertBitwise(resumed.State.Parameters, snapshot.State.Parameters);
        AssertBitwise(resumed.State.ModelState, snapshot.State.ModelState);
    }

    [Fact]
    public void A_run_folder_whose_options_do_not_fit_its_checkpoints_or_that_has_none_is_refused()
    {
        using var scope = torch.NewDisposeScope();
        var options = Tiny(GanUpdate.SingleLoss) with { Epochs = 1 };
        Train(options, folder, [], CancellationToken.None);

        GanOptionsFile.Write(folder, options with { DiscriminatorHidden = 4 });
        var misfit = Assert.Throws<InvalidDataException>(() => GanTraining.LoadLatest(folder, torch.CPU));
        Assert.Contains("discriminator/", misfit.Message);
        Assert.Throws<InvalidDataException>(() => Train(options with { Epochs = 2 }, folder, [], CancellationToken.None));

        File.Delete(GanOptionsFile.PathIn(folder));
        var missing = Assert.Throws<InvalidDataException>(() => Train(options with { Epochs = 2 }, folder, [], CancellationToken.None));
        Assert.Contains(GanOptionsFile.FileName, missing.Message);
        Assert.Throws<FileNotFoundException>(() => GanTraining.LoadLatest(folder, torch.CPU));
    }

    [Fact]
    public void Reading_a_classifier_for_scoring_never_writes_to_its_folder()
    {
        using var scope = torch.NewDisposeScope();
        var options = MnistTrainingOptions.Default with { DataDirectory = SharedData.Folder("mnist-t10k"), Epochs = 1, Hidden = 8, Workers = 1, Device = torch.CPU };
        var checkpoints = Path.Combine(folder, "mnist", "checkpoints");
        TrainState.Dispose(MnistTraining.Run(options, new RunOptions(Path.Combine(folder, "mnist")) { KeepCheckpoints = 1 }, new FitOptions { Epochs = 1 }, SingleProcess.Instance, CancellationToken.None).State);
        File.WriteAllText(Path.Combine(checkpoints, "step-0000000099.tmp"), "a save in progress");
        // An unfinished run (its options ask for more epochs than it has done) is read as it is, never trained on.
        var before = Snapshot(checkpoints);

        var loaded = ClassifierFile.Load(checkpoints, options with { Epochs = 10 });

        Assert.NotNull(loaded);
        Assert.True(loaded.ValidationAccuracy > 0.5, $"accuracy {loaded.ValidationAccuracy}");
        Assert.Equal(before, Snapshot(checkpoints));
        Assert.Null(ClassifierFile.Load(Path.Combine(folder, "nothing-here"), options));
        Assert.False(Directory.Exists(Path.Combine(folder, "nothing-here")));
    }

    static string Snapshot(string directory) => string.Join("\n", Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        .Select(path => $"{path} {File.GetLastWriteTimeUtc(path):O} {(File.Exists(path) ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))) : "dir")}"));

    [Fact]
    public void The_sample_grid_is_a_png_of_the_promised_size_with_ink_white_and_gaps_grey()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.cat([torch.ones(6, DigitClassifier.Pixels), -torch.ones(1, DigitClassifier.Pixels)]);
        var path = Path.Combine(folder, "grid.png");

        var size = SampleGrid.WritePng(path, images, columns: 3, scale: 2);

        Assert.Equal(new GridSize(2 * (3 * 30 + 2), 2 * (3 * 30 + 2)), size);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal(size.Width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(size.Height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal(255, bitmap.GetPixel(2 * 2 + 5, 2 * 2 + 5).Red);             // inside tile 0 (white)
        Assert.Equal(0, bitmap.GetPixel(2 * 2 + 5, 2 * (2 + 2 * 30) + 5).Red);     // inside tile 6 (black)
        Assert.Equal(96, bitmap.GetPixel(1, 1).Red);                               // the frame
        Assert.Equal(96, bitmap.GetPixel(size.Width - 10, size.Height - 10).Red);  // the empty last tiles
    }

    [Fact]
    public void A_grid_of_images_that_are_not_digits_is_refused()
    {
        using var scope = torch.NewDisposeScope();

        var error = Assert.Throws<ArgumentException>(() => SampleGrid.WritePng(Path.Combine(folder, "x.png"), torch.zeros(2, 10), 2, 1));

        Assert.Contains("[2, 10]", error.Message);
    }

    static DigitClassifier ConstantClassifier(float[] logits)
    {
        using var generator = new torch.Generator(1);
        var model = DigitClassifier.Init(generator, 4, 0, torch.CPU);
        return model with { Output = new LinearParams(torch.zeros(10, 4), torch.tensor(logits)) };
    }

    [Fact]
    public void The_score_counts_confident_samples_per_digit()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(1);
        var samples = torch.rand([50, DigitClassifier.Pixels], generator: generator).mul(Scalars.Two).sub(Scalars.One);
        var sure = new float[10];
        sure[7] = 10; // softmax 0.9989 for digit 7
        var unsure = new float[10];
        unsure[3] = 2; // softmax 0.45 for digit 3

        var confident = SampleScoring.Score(ConstantClassifier(sure), samples, 0.9, generator);
        var doubtful = SampleScoring.Score(ConstantClassifier(unsure), samples, 0.9, generator);

        Assert.Equal(1.0, confident.ConfidentShare);
        Assert.Equal([0L, 0, 0, 0, 0, 0, 0, 50, 0, 0], confident.ConfidentCounts);
        Assert.Equal(1, confident.ClassesCovered);
        Assert.Equal(0.0, confident.ClassEntropy);
        Assert.Equal(0.0, doubtful.ConfidentShare);
        Assert.Equal(0, doubtful.ClassesCovered);
    }
}
