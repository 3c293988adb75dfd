using FsCheck.Xunit;
using Functional.Core;
using Functional.Facade;
using Functional.Optimizers;
using TorchSharp;
using Xunit;
using Optimizer = Functional.Facade.Optimizer;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Facade;

/// <summary>The tree the path rules are checked against: <c>embedding/weight, encoder/{inner,outer}/{weight,bias}, head/{weight,bias}</c>.</summary>
public sealed record TreeEncoder(LinearParams Inner, LinearParams Outer);

/// <summary>See <see cref="TreeEncoder"/>.</summary>
public sealed record TreeModel(LinearParams Embedding, TreeEncoder Encoder, LinearParams Head)
{
    public static TreeModel Create() => new(
        new LinearParams(torch.zeros(4, 3), null),
        new TreeEncoder(new LinearParams(torch.zeros(3, 3), torch.zeros(3)), new LinearParams(torch.zeros(3, 3), torch.zeros(3))),
        new LinearParams(torch.zeros(1, 3), torch.zeros(1)));
}

/// <summary>
/// The optimizer builder against the core: every builder expression equals the pipeline written by hand with core
/// constructors, and every invalid configuration reports exactly its errors, all at once.
/// </summary>
[Properties(Arbitrary = new[] { typeof(OptimizerConfigurations) })]
public sealed class OptimizerBuilderProperties
{
    static readonly TreeModel Model = TreeModel.Create();

    static List<string> Keys(IEnumerable<ConfigurationError> errors) =>
        errors.Select(e => Pipeline.Key(e.Setting, e.Value)).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void The_example_of_the_issue_is_the_hand_built_pipeline()
    {
        var built = Optimizer.Adam(1e-3).ClipByGlobalNorm(1).AccumulateEvery(4).WithEma(0.999)
            .ScaleLearningRate("encoder/*", 0.1).Freeze("embedding/*").Build();

        var handBuilt = new Accumulate(new Chain(
            new ClipByGlobalNorm(1),
            new ScaleByAdam(0.9, 0.999, 1e-8), new ScaleByLearningRate(1e-3),
            new PathMultipliers([new PathRule("encoder/*", 0.1), PathRule.Freeze("embedding/*")]),
            new ParameterEma(0.999, BiasCorrection: false)), 4);
        Assert.Equal<IGradientTransformation>(handBuilt, built);
        Assert.NotEqual<IGradientTransformation>(handBuilt with { K = 3 }, built);
    }

    [Fact]
    public void A_bare_alias_is_the_core_alias()
    {
        Assert.Equal<IGradientTransformation>(Functional.Optimizers.Optimizer.Adam(1e-3), Optimizer.Adam(1e-3).Build());
        Assert.Equal<IGradientTransformation>(Functional.Optimizers.Optimizer.AdamW(1e-3, 0.01), Optimizer.AdamW(1e-3, 0.01).Build());
        Assert.Equal<IGradientTransformation>(Functional.Optimizers.Optimizer.Sgd(0.1), Optimizer.Sgd(0.1).Build());

        // Any core chain can start a pipeline; its stages are kept in order.
        var lion = Functional.Optimizers.Optimizer.Lion(new Constant(1e-4), ScaleByLion.Default, new AddDecayedWeights(0.1, ["**/bias"]));
        Assert.Equal<IGradientTransformation>(
            new Chain(new ClipByGlobalNorm(2), new ScaleByLion(0.9, 0.99), new AddDecayedWeights(0.1, ["**/bias"]), new ScaleByLearningRate(1e-4), new ParameterEma(0.5, true)),
            Optimizer.From(lion).ClipByGlobalNorm(2).WithEma(0.5, biasCorrection: true).Build());
    }

    [Property(MaxTest = 300)]
    public void Every_valid_builder_expression_equals_the_hand_built_core_pipeline(Pipeline pipeline)
    {
        var builder = pipeline.Builder();
        Assert.Empty(builder.Validate());
        Assert.Equal(pipeline.HandBuilt(), builder.Build());
        Assert.True(builder.TryBuild().IsSuccess);
    }

    [Property(MaxTest = 300)]
    public void An_invalid_configuration_reports_exactly_its_errors_all_at_once(InvalidPipeline invalid)
    {
        var pipeline = invalid.Pipeline;
        var builder = pipeline.Builder();
        var expected = pipeline.ExpectedErrors().Order(StringComparer.Ordinal).ToList();

        Assert.Equal(expected, Keys(builder.Validate()));
        if (expected.Count == 0)
        {
            Assert.Equal(pipeline.HandBuilt(), builder.Build());
            return;
        }
        var error = Assert.Throws<ConfigurationException>(() => builder.Build());
        Assert.Equal(expected, Keys(error.Errors));
        Assert.All(error.Errors, e => Assert.Contains(e.ToString(), error.Message));
        Assert.Equal(expected, Keys(builder.TryBuild().FailToSeq()));
    }

    [Property(MaxTest = 300)]
    public void Against_a_tree_unknown_paths_and_overlapping_rules_are_reported_with_the_rest(TreeCase treeCase)
    {
        var pipeline = treeCase.Pipeline;
        var builder = pipeline.Builder();
        var paths = Tree.Paths(Model);
        var patterns = pipeline.Rules.Select(r => r.Pattern).Distinct().ToArray();
        string Names(string pattern) => string.Join(" and ", pipeline.Rules.Where(r => r.Pattern == pattern).Select(r => $"{r.Method}('{pattern}')").Distinct());
        string[] Matches(string pattern) => OptimizerConfigurations.Catalogue.Single(c => c.Pattern == pattern).Matches;

        var expected = pipeline.ExpectedErrors().ToList();
        expected.AddRange(patterns.Where(p => Matches(p).Length == 0).Select(p => Pipeline.Key(Names(p), p)));
        for (var i = 0; i < patterns.Length; i++)
        for (var j = i + 1; j < patterns.Length; j++)
        {
            var shared = paths.Where(path => Matches(patterns[i]).Contains(path) && Matches(patterns[j]).Contains(path)).ToArray();
            if (shared.Length > 0) expected.Add(Pipeline.Key($"{Names(patterns[i])} and {Names(patterns[j])}", shared));
        }
        expected.Sort(StringComparer.Ordinal);

        Assert.Equal(expected, Keys(builder.Validate(Model)));
        if (expected.Count > 0)
        {
            Assert.Equal(expected, Keys(Assert.Throws<ConfigurationException>(() => builder.Build(Model)).Errors));
            return;
        }
        // A pipeline valid for the tree is the hand-built one, and the core accepts it for that tree.
        var core = builder.Build(Model);
        Assert.Equal(pipeline.HandBuilt(), core);
        Optimizer_init_accepts(core);
    }

    static void Optimizer_init_accepts(IGradientTransformation pipeline) =>
        Assert.NotNull(Functional.Optimizers.Optimizer.Init(pipeline, Model));

    [Fact]
    public void Every_kind_of_error_at_once_with_its_value()
    {
        var builder = Optimizer.Adam(-0.1).ClipByGlobalNorm(0).AccumulateEvery(0).WithEma(1.5)
            .ScaleLearningRate("encoder/**", -2).Freeze("encoder/**").Freeze("decoder/*").ScaleLearningRate("**/bias", 0.5);
        var error = Assert.Throws<ConfigurationException>(() => builder.Build(Model));

        Assert.Equal(new[]
        {
            "Adam.learningRate = -0.1",
            "ClipByGlobalNorm.maxNorm = 0",
            "AccumulateEvery.k = 0",
            "WithEma.decay = 1.5",
            "ScaleLearningRate('encoder/**').multiplier = -2",
            "ScaleLearningRate('encoder/**') and Freeze('encoder/**') = 'encoder/**'",
            "Freeze('decoder/*') = 'decoder/*'",
            "ScaleLearningRate('encoder/**') and Freeze('encoder/**') and ScaleLearningRate('**/bias') = ['encoder/inner/bias', 'encoder/outer/bias']",
        }, error.Errors.Select(e => Pipeline.Key(e.Setting, e.Value)).ToArray());
        Assert.StartsWith("Optimizer: 8 configuration errors:", error.Message);
        Assert.Contains("Freeze('decoder/*') = 'decoder/*': matches no parameter; the paths are: embedding/weight, encoder/inner/weight", error.Message);
    }

    /// <summary>The configuration-error example of docs/articles/three-ways.md says what the builder says.</summary>
    [Fact]
    public void The_readme_error_example_says_what_the_readme_says()
    {
        var model = Model;
        var error = Assert.Throws<ConfigurationException>(() =>
            Optimizer.Adam(-0.1).AccumulateEvery(0).ScaleLearningRate("encoder/**", 0.1).Freeze("encoder/**").Freeze("decoder/*").Build(model));
        var lines = error.Message.Split(Environment.NewLine);
        Assert.Equal(new[]
        {
            "Optimizer: 4 configuration errors:",
            "  - Adam.learningRate = -0.1: must be a finite number >= 0",
            "  - AccumulateEvery.k = 0: must be at least 1",
            "  - ScaleLearningRate('encoder/**') and Freeze('encoder/**') = 'encoder/**': the same pattern is given to several rules; a parameter gets one rule",
        }, lines[..4]);
        Assert.StartsWith("  - Freeze('decoder/*') = 'decoder/*': matches no parameter; the paths are: embedding/weight, encoder/inner/weight, ", lines[4]);
        Assert.Equal(5, lines.Length);
    }
}
