using Functional.Core;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Training;

/// <summary>
/// A checkpoint changed by hand (its checksum recomputed, as anyone can) loads only if it is exactly what the model and
/// pipeline would have written: type names, extra keys, swapped shapes, renamed or missing leaves and files of the older
/// format are refused with a message naming the place; nothing in a file chooses a type.
/// </summary>
public sealed class DoctoredCheckpointTests
{
    static IGradientTransformation AdamWithEma() => new Chain(Optimizer.Adam(1e-2), new ParameterEma(0.9, BiasCorrection: true));

    /// <summary>Saves a fresh state's checkpoint, doctors it with <paramref name="doctor"/>, and returns the error of loading it.</summary>
    static InvalidDataException Refusal(Func<List<NamedTensor>, Dictionary<string, string>, (List<NamedTensor>, Dictionary<string, string>)> doctor)
    {
        using var scope = torch.NewDisposeScope();
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 10);
        TrainStateFile.Save(store, TrainState.Init(Model(2), NoState.Value, AdamWithEma(), 3));
        var content = store.Load(0);
        var (tensors, metadata) = doctor(content.Tensors.ToList(), content.Metadata.ToDictionary());
        store.Save(1, tensors, metadata);
        var sound = TrainStateFile.Load(store, 0, Model(5), NoState.Value, AdamWithEma());
        Assert.Equal(0, sound.Step);
        return Assert.Throws<InvalidDataException>(() => TrainStateFile.Load(store, 1, Model(5), NoState.Value, AdamWithEma()));
    }

    static string Weight => Tree.Paths(Model(1))[0];

    static int Index(List<NamedTensor> tensors, string name) =>
        tensors.FindIndex(t => t.Name == name) is var i and >= 0 ? i : throw new InvalidOperationException($"no tensor '{name}' in {string.Join(", ", tensors.Select(t => t.Name))}");

    [Fact]
    public void The_leaves_are_named_after_parameters_with_counters_as_scalars_and_no_type_names()
    {
        using var scope = torch.NewDisposeScope();
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 10);
        TrainStateFile.Save(store, TrainState.Init(Model(2), NoState.Value, AdamWithEma(), 3));
        var content = store.Load(0);
        var names = content.Tensors.Select(t => t.Name).ToArray();
        Assert.Contains($"optimizer/0/0/mu/{Weight}", names);
        Assert.Contains($"optimizer/0/0/nu/{Weight}", names);
        Assert.Contains($"optimizer/1/average/{Weight}", names);
        Assert.Empty(content.Tensors.Single(t => t.Name == "optimizer/0/0/count").Value.shape);
        Assert.Equal(["batch", "epoch", "format", "step"], content.Metadata.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(content.Metadata.Values.Concat(names), text => text.Contains("State", StringComparison.Ordinal) || text.Contains("Version=", StringComparison.Ordinal));
    }

    [Fact]
    public void A_type_name_in_the_metadata_is_refused()
    {
        var error = Refusal((tensors, metadata) =>
        {
            metadata["optimizer"] = """{"type": "System.Diagnostics.ProcessStartInfo, System.Diagnostics.Process", "fields": {}}""";
            return (tensors, metadata);
        });
        Assert.Contains("has the metadata 'optimizer'", error.Message);
    }

    [Fact]
    public void A_generic_type_name_is_refused()
    {
        var error = Refusal((tensors, metadata) =>
        {
            metadata["root"] = "System.Collections.Generic.List`1[[Functional.Optimizers.ChainState, Functional.Optimizers]]";
            return (tensors, metadata);
        });
        Assert.Contains("has the metadata 'root'", error.Message);
    }

    [Fact]
    public void An_extra_optimizer_leaf_is_refused_naming_it()
    {
        var error = Refusal((tensors, metadata) =>
        {
            tensors.Add(new NamedTensor("optimizer/0/System.IO.FileSystemWatcher", torch.zeros(3)));
            return (tensors, metadata);
        });
        Assert.Contains("'optimizer/0/System.IO.FileSystemWatcher'", error.Message);
        Assert.Contains("has none there", error.Message);
    }

    [Fact]
    public void An_extra_tensor_outside_the_known_parts_is_refused()
    {
        var error = Refusal((tensors, metadata) =>
        {
            tensors.Add(new NamedTensor("types/evil", torch.zeros(1)));
            return (tensors, metadata);
        });
        Assert.Contains("'types/evil'", error.Message);
    }

    [Fact]
    public void Swapped_shapes_are_refused_naming_the_path_and_both_shapes()
    {
        var error = Refusal((tensors, metadata) =>
        {
            var (mu, bias) = (Index(tensors, $"optimizer/0/0/mu/{Weight}"), Index(tensors, $"optimizer/0/0/nu/{Tree.Paths(Model(1))[1]}"));
            (tensors[mu], tensors[bias]) = (tensors[mu] with { Value = tensors[bias].Value }, tensors[bias] with { Value = tensors[mu].Value });
            return (tensors, metadata);
        });
        Assert.Contains($"'optimizer/0/0/mu/{Weight}'", error.Message);
        Assert.Contains("another optimizer pipeline", error.Message);
        Assert.Matches(@"expects Float32\[\d+, \d+\], the checkpoint has Float32\[\d+\]", error.Message);
    }

    [Fact]
    public void A_renamed_path_is_refused_naming_the_expected_path()
    {
        var error = Refusal((tensors, metadata) =>
        {
            var i = Index(tensors, $"optimizer/0/0/mu/{Weight}");
            tensors[i] = tensors[i] with { Name = $"optimizer/0/0/mu/{Weight}-renamed" };
            return (tensors, metadata);
        });
        Assert.Contains($"'optimizer/0/0/mu/{Weight}'", error.Message);
        Assert.Contains("no leaf (the checkpoint has none there)", error.Message);
    }

    [Fact]
    public void A_missing_counter_is_refused()
    {
        var error = Refusal((tensors, metadata) =>
        {
            tensors.RemoveAt(Index(tensors, "optimizer/0/0/count"));
            return (tensors, metadata);
        });
        Assert.Contains("'optimizer/0/0/count'", error.Message);
        Assert.Contains("Int64[]", error.Message);
    }

    [Fact]
    public void A_counter_of_another_dtype_is_refused()
    {
        var error = Refusal((tensors, metadata) =>
        {
            var i = Index(tensors, "optimizer/0/0/count");
            tensors[i] = tensors[i] with { Value = torch.tensor(7.5) };
            return (tensors, metadata);
        });
        Assert.Contains("expects Int64[], the checkpoint has Float64[]", error.Message);
    }

    [Theory]
    [InlineData("functional.train-state/1")]
    [InlineData("functional.train-state/2")]
    public void A_checkpoint_of_an_older_format_is_refused_naming_the_file_and_advising_no_deletion(string format)
    {
        var error = Refusal((tensors, metadata) =>
        {
            metadata["format"] = format;
            return (tensors, metadata);
        });
        Assert.Contains("older version", error.Message);
        Assert.Contains(format, error.Message);
        Assert.Contains(".safetensors", error.Message);
        Assert.DoesNotContain("restart", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("delet", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_loaders_resolve_no_type_by_name()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Functional.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Functional.sln above the tests");
        string[] forbidden = ["Type.GetType(", "Activator.", "Assembly.Load", "AssemblyQualifiedName", "GetType(name", "MakeGenericType"];
        var offenders = new[] { "Optimizers", "Training", Path.Combine("Models", "Gan"), "Distributed" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => forbidden.Where(File.ReadAllText(file).Contains).Select(word => $"{Path.GetRelativePath(root, file)}: {word}"))
            .ToArray();
        Assert.True(offenders.Length == 0, "type resolution by name in: " + string.Join("; ", offenders));
    }

    [Fact]
    public void Restoring_builds_only_the_record_types_of_the_fresh_state()
    {
        using var scope = torch.NewDisposeScope();
        var model = Model(2);
        var pipeline = new Accumulate(new Chain(new ClipByGlobalNorm(1), Optimizer.Adam(1e-2), new ParameterEma(0.9, true)), 2);
        var fresh = Optimizer.Init(pipeline, model);
        var flat = OptimizerStates.Flatten(Optimizer.Init(pipeline, model));
        var restored = OptimizerStates.Restore(fresh, flat.Select(l => new TreeLeaf(l.Path, l.Value.clone())).ToArray());
        Assert.Equal(Types(fresh), Types(restored));
    }

    /// <summary>The runtime types of a state's records, depth first, as <see cref="OptimizerStates.Describe"/> prints them.</summary>
    static string[] Types(object state) =>
        OptimizerStates.Describe(state).Split('\n').Where(line => line.Contains(": ", StringComparison.Ordinal) && !line.Contains('[', StringComparison.Ordinal) && !line.Contains("item(s)", StringComparison.Ordinal)).ToArray();
}
