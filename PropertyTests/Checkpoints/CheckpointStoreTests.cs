using Functional.Core;
using TorchSharp;
using Xunit;
using Functional.Training;

namespace Functional.PropertyTests.Checkpoints;

public sealed class CheckpointStoreTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("checkpoints").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    [Fact]
    public void Only_the_newest_checkpoints_are_kept_and_no_temporary_file_is_left()
    {
        var store = new CheckpointStore(folder, keepLast: 2);
        for (var step = 1; step <= 5; step++)
        {
            using var value = ((float)step).ToScalar();
            store.Save(step * 10, [new NamedTensor("w", torch.full(3, value))], NoMetadata);
        }

        Assert.Equal([40L, 50], store.Steps());
        Assert.Equal(4, Directory.GetFiles(folder).Length);
        var (latest, content) = store.LoadLatest()!.Value;
        Assert.Equal(50, latest);
        Assert.Equal(5f, content.Tensors.Single().Value[0].item<float>());
    }

    [Fact]
    public void Opening_and_reading_a_store_deletes_no_file_only_the_next_writers_first_save_clears_leftovers()
    {
        var writer = new CheckpointStore(folder, keepLast: 3);
        writer.Save(1, [new NamedTensor("w", torch.ones(3))], NoMetadata);
        // A save in progress in another process (the writer's temporary files), as a reader would find them.
        var inProgress = Path.Combine(folder, $"step-0000000002.safetensors.{Guid.NewGuid():N}.tmp");
        var olderStyle = Path.Combine(folder, "step-0000000002.tmp");
        File.WriteAllText(inProgress, "a save in progress");
        File.WriteAllText(olderStyle, "a save in progress");

        var reader = new CheckpointStore(folder, keepLast: 1);
        Assert.Equal([1L], reader.Steps());
        Assert.NotNull(reader.LoadLatest());
        Assert.True(File.Exists(inProgress) && File.Exists(olderStyle), "Opening or reading a store deleted another process's temporary files.");

        // The writer was killed mid-save; the next writer's first save clears what it left.
        new CheckpointStore(folder, keepLast: 3).Save(3, [new NamedTensor("w", torch.zeros(3))], NoMetadata);
        Assert.False(File.Exists(inProgress) || File.Exists(olderStyle), "The next writer's first save left an interrupted save's leftovers.");
    }

    [Fact]
    public void A_damaged_checkpoint_is_reported_by_its_checksum_and_the_previous_one_still_loads()
    {
        var store = new CheckpointStore(folder, keepLast: 3);
        store.Save(1, [new NamedTensor("w", torch.ones(3))], NoMetadata);
        var newest = store.Save(2, [new NamedTensor("w", torch.zeros(3))], NoMetadata);
        var bytes = File.ReadAllBytes(newest);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(newest, bytes);

        var error = Assert.Throws<InvalidDataException>(() => store.Load(2));

        Assert.Contains("SHA-256", error.Message);
        Assert.Equal(1f, store.Load(1).Tensors.Single().Value[0].item<float>());
    }

    public sealed record Model(LinearParams Encoder, LinearParams Head);

    [Fact]
    public void A_tree_restores_from_its_checkpoint_and_a_checkpoint_of_another_model_names_the_difference()
    {
        using var generator = new torch.Generator(1);
        var model = new Model(Linear.Init(generator, 3, 4, torch.CPU), Linear.Init(generator, 4, 2, torch.CPU));
        var store = new CheckpointStore(folder, keepLast: 1);
        store.Save(7, TreeFile.Tensors(model), NoMetadata);

        var restored = TreeFile.Restore(model, store.Load(7).Tensors);
        Assert.All(Enumerable.Zip(Tree.Leaves(model), Tree.Leaves(restored), Same.Bitwise), Assert.True);

        var wider = model with { Encoder = Linear.Init(generator, 5, 4, torch.CPU) };
        Assert.Contains("'encoder/weight' is Float32[4, 3] in the checkpoint but Float32[4, 5] in the model",
            Assert.Throws<InvalidDataException>(() => TreeFile.Restore(wider, store.Load(7).Tensors)).Message);
        var withoutBias = model with { Head = model.Head with { Bias = null } };
        Assert.Contains("head/bias", Assert.Throws<InvalidDataException>(() => TreeFile.Restore(withoutBias, store.Load(7).Tensors)).Message);
    }
}
