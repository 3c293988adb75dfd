using FsCheck.Xunit;
using Functional.Core;
using Functional.Interop;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop;

/// <summary>A small model of two layers, for the naming tests.</summary>
public sealed record TwoLayers(LinearParams Encoder, LayerNormParams Norm)
{
    /// <summary>Random values (so that a leaf that was not loaded shows).</summary>
    public static TwoLayers Init(int seed) => new(Linear.Init(Rng(seed), 3, 2, Cpu), LayerNorm.Init(2, Cpu));
}

/// <summary>Loading by name: prefixes, renaming rules, strict refusal with the full list, non-strict report.</summary>
public sealed class StateDictImportTests
{
    [Property(MaxTest = 100)]
    public void Any_records_file_with_a_prefix_loads_back_exactly_after_stripping_it(int seed, bool pytorchDots)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var saved = new TwoLayers(Linear.Init(Rng(seed), 3, 2, Cpu), new LayerNormParams(torch.randn(2, generator: Rng(seed + 1)), torch.randn(2, generator: Rng(seed + 2)), 1e-5));
        var prefix = string.Join("/", Enumerable.Range(0, random.Next(1, 3)).Select(i => $"p{random.Next(100)}")) + "/";
        var named = TreeFile.Tensors(saved).Select(t => t with { Name = pytorchDots ? (prefix + t.Name).Replace('/', '.') : prefix + t.Name });
        var file = RawSafeTensors.TemporaryPath(".safetensors");
        try
        {
            File.WriteAllBytes(file, SafeTensors.Serialize(named, new Dictionary<string, string>()));
            var (loaded, report) = StateDict.Load(TwoLayers.Init(seed + 3), file, ImportOptions.Default with { StripPrefix = prefix });
            Assert.True(report.IsExact);
            foreach (var (a, b) in Tree.Leaves(saved).Zip(Tree.Leaves(loaded))) Assert.True(Same.Bitwise(a, b));
            Assert.Equal(1e-5, loaded.Norm.Epsilon);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Glob_and_regex_rules_rename_paths_and_the_first_match_wins()
    {
        var options = ImportOptions.Default with
        {
            AddPrefix = "model/",
            Renames = [RenameRule.Glob("model/bn*/running_*", "state/norm*/*"), RenameRule.Regex(@"model/layers/(\d+)/(.*)", "model/blocks/$1/$2"), RenameRule.Glob("model/**", "all/**")],
        };
        Assert.Equal("state/norm1/mean", options.PathOf("bn1.running_mean"));
        Assert.Equal("model/blocks/12/attention/weight", options.PathOf("layers.12.attention.weight"));
        Assert.Equal("all/fc/weight", options.PathOf("fc.weight"));
        Assert.Equal("encoder/weight", (ImportOptions.Default with { StripPrefix = "module/" }).PathOf("module.encoder.weight"));
        Assert.Equal("encoder/weight", (ImportOptions.Default with { StripPrefix = "module/" }).PathOf("encoder.weight"));
        Assert.Null(RenameRule.Glob("a/*", "b/*").Apply("a/x/y"));
        Assert.Equal("b/x/y", RenameRule.Glob("a/**", "b/**").Apply("a/x/y"));
    }

    [Fact]
    public void Strict_refuses_listing_every_missing_unexpected_and_mismatched_name_and_the_file()
    {
        using var scope = torch.NewDisposeScope();
        var file = RawSafeTensors.TemporaryPath(".safetensors");
        try
        {
            File.WriteAllBytes(file, SafeTensors.Serialize(
            [
                new NamedTensor("encoder.weight", torch.zeros(2, 4)), new NamedTensor("norm.weight", torch.ones(2)),
                new NamedTensor("norm.bias", torch.ones(2)), new NamedTensor("head.weight", torch.ones(1)),
            ], new Dictionary<string, string>()));
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(TwoLayers.Init(1), file, ImportOptions.Default));
            Assert.Contains(file, error.Message);
            Assert.Contains("missing 1 (encoder/bias)", error.Message);
            Assert.Contains("unexpected 1 (head.weight)", error.Message);
            Assert.Contains("shape mismatched 1 (encoder/weight ('encoder.weight' is [2, 4] in the file, [2, 3] in the record))", error.Message);

            var template = TwoLayers.Init(1);
            var (loaded, report) = StateDict.Load(template, file, ImportOptions.Default with { Strict = false });
            Assert.Equal(["norm/weight", "norm/bias"], report.Loaded);
            Assert.Equal(["encoder/bias"], report.Missing);
            Assert.Equal(["head.weight"], report.Unexpected);
            Assert.Equal("encoder/weight", Assert.Single(report.Mismatched).Path);
            Assert.True(Same.Bitwise(template.Encoder.Weight, loaded.Encoder.Weight), "a mismatched leaf keeps the record's value");
            Assert.True(Same.Bitwise(torch.ones(2), loaded.Norm.Weight));
            Assert.NotSame(template.Encoder.Weight, loaded.Encoder.Weight);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Two_names_that_map_to_one_path_are_refused()
    {
        using var scope = torch.NewDisposeScope();
        var file = RawSafeTensors.TemporaryPath(".safetensors");
        try
        {
            File.WriteAllBytes(file, SafeTensors.Serialize([new NamedTensor("module.norm.weight", torch.ones(2)), new NamedTensor("norm.weight", torch.ones(2))], new Dictionary<string, string>()));
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(TwoLayers.Init(1), file, ImportOptions.Default with { StripPrefix = "module/", Strict = false }));
            Assert.Contains("both map to the path 'norm/weight'", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
