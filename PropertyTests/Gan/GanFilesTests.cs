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

    [Theory]
    [InlineData("optimizer-structure", "older version")]
    [InlineData("type", "has the metadata 'type'")]
    [InlineData("optimizer/0/System.IO.FileSystemWatcher", "'optimizer/0/System.IO.FileSystemWatcher'")]
    public void A_doctored_or_older_checkpoint_is_refused_with_a_clear_message(string added, string expected)
    {
        using var scope = torch.NewDisposeScope();
        var options = GanOptions.Default with { NoiseSize = 3, GeneratorHidden = 2, DiscriminatorHidden = 3 };
        using var generator = new torch.Generator(4);
        var store = new CheckpointStore(folder, keepLast: 2);
        GanCheckpoint.Save(store, GanState.Init(generator, options, GanOptimizer.Adam(options), torch.CPU), options);
        var content = store.Load(0);
        var metadata = content.Metadata.ToDictionary();
        var tensors = content.Tensors.ToList();
        if (added.Contains('/', StringComparison.Ordinal)) tensors.Add(new NamedTensor(added, torch.zeros(2)));
        else metadata[added] = """{"type": "System.IO.FileSystemWatcher, System.IO.FileSystem.Watcher", "fields": {}}""";
        store.Save(1, tensors, metadata);

        var error = Assert.Throws<InvalidDataException>(() => GanCheckpoint.LoadLatest(store, torch.CPU));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_checkpoint_restores_the_whole_state_and_training_continues_identically()
    {
        using var scope = torch.NewDisposeScope();
        var options = GanOptions.Default with { NoiseSize = 3, GeneratorHidden = 2, DiscriminatorHidden = 3 };
        var optimizer = GanOptimizer.Adam(options);
        using var generator = new torch.Generator(4);
        var real = torch.rand([4, DigitClassifier.Pixels], generator: generator).mul(Scalars.Two).sub(Scalars.One);
        var state = GanState.Init(generator, options, optimizer, torch.CPU);
        for (var i = 0; i < 2; i++) state = AlternatingStep.Step(optimizer, 1, state, real, generator).State;
        var store = new CheckpointStore(folder, keepLast: 2);

        GanCheckpoint.Save(store, state, options);
        var loaded = GanCheckpoint.LoadLatest(store, torch.CPU)!;

        Assert.Equal(options, loaded.Options);
        Assert.Equal(state.Step, loaded.State.Step);
        AssertBitwise(state.Parameters, loaded.State.Parameters);
        AssertBitwise(state.Spectral!, loaded.State.Spectral!);
        Assert.True(OptimizerStates.Equal(state.OptimizerState, loaded.State.OptimizerState));
        using var one = new torch.Generator(9);
        using var other = new torch.Generator(9);
        var continued = SingleLossStep.Step(optimizer.Joint, 1, state, real, one).State;
        var resumed = SingleLossStep.Step(optimizer.Joint, 1, loaded.State, real, other).State;
        AssertBitwise(continued.Parameters, resumed.Parameters);
    }

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
