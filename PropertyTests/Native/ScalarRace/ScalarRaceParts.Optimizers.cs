using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.PropertyTests.Native;

public static partial class ScalarRaceParts
{
    /// <summary>The parameter tree the optimizer parts step (paths body/weight, body/bias, head/weight, head/bias).</summary>
    public sealed record OptimizerTree(LinearParams Body, LinearParams Head);

    /// <summary>The optimizer parts, each <c>optimizer-NAME</c> (a property: <see cref="Names"/> reads it during static initialization).</summary>
    static string[] OptimizerNames =>
    [
        "clip", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lamb", "lion",
        "lookahead", "accumulate", "ema", "path-multipliers", "masked", "partition", "skip-non-finite", "chain", "fused-adam",
    ];

    /// <summary>The pipeline of the optimizer part <paramref name="name"/>.</summary>
    static IGradientTransformation Pipeline(string name) => name switch
    {
        "clip" => new Chain(new ClipByValue(0.05), new ClipByNorm(1), new ClipByGlobalNorm(0.5), new AdaptiveClip(0.1, 1e-3), Optimizer.Sgd(0.1)),
        "sgd" => Optimizer.Sgd(0.1),
        "momentum" => Optimizer.Momentum(0.1, 0.9),
        "nesterov" => Optimizer.Nesterov(0.1, 0.9),
        "adagrad" => Optimizer.Adagrad(0.1, ScaleByAdagrad.Default),
        "rmsprop" => Optimizer.RmsProp(1e-2, ScaleByRms.Default),
        "adam" => Optimizer.Adam(1e-2),
        "adamw" => Optimizer.AdamW(1e-2, 0.1),
        "lamb" => Optimizer.Lamb(new Constant(1e-2), ScaleByAdam.Default, new AddDecayedWeights(0.01)),
        "lion" => Optimizer.Lion(new Constant(1e-3), ScaleByLion.Default, new AddDecayedWeights(0.01)),
        "lookahead" => new Lookahead(Optimizer.Adam(1e-2), 2, 0.5),
        "accumulate" => new Accumulate(Optimizer.Adam(1e-2), 2),
        "ema" => new Chain(Optimizer.Adam(1e-2), new ParameterEma(0.9, BiasCorrection: true)),
        "path-multipliers" => new Chain(Optimizer.Adam(1e-2), new PathMultipliers([new PathRule("body/**", 0.1), PathRule.Freeze("head/bias")])),
        "masked" => new Masked(Optimizer.Momentum(0.1, 0.9), path => path.StartsWith("body", StringComparison.Ordinal)),
        "partition" => new Partition([new PartitionRule("head/**", Optimizer.Sgd(0.1))], Optimizer.Adam(1e-2)),
        "skip-non-finite" => new SkipNonFinite(Optimizer.Adam(1e-2), 2),
        "chain" => new Accumulate(new Chain(new ClipByGlobalNorm(1.0), Optimizer.Adam(new WarmupCosine(1e-2, 1, 10, 1e-4), ScaleByAdam.Default),
            new PathMultipliers([new PathRule("body/**", 0.1)]), new ParameterEma(0.99, BiasCorrection: true)), 2),
        "fused-adam" => new Chain(new ClipByGlobalNorm(1.0), Optimizer.Adam(1e-3), new ParameterEma(0.99, BiasCorrection: true)),
        _ => throw new ArgumentException($"No optimizer part is called '{name}'; they are: {string.Join(", ", OptimizerNames)}.", nameof(name)),
    };

    /// <summary>
    /// Three <see cref="Optimizer.Step{TParams}(IGradientTransformation, TParams, object, TParams)"/> calls from the
    /// pipeline's initial state (so <c>Accumulate</c> and <c>Lookahead</c> with k = 2 reach their update), on a tree of
    /// 50 elements; the second gradient is all NaN for <c>skip-non-finite</c>. <c>fused-adam</c> steps a float32 tree of
    /// 65,536 + 260 elements, which takes the fused Adam pass.
    /// </summary>
    static ScalarRacePart OptimizerPart(string name, string optimizer)
    {
        var pipeline = Pipeline(optimizer);
        var width = optimizer == "fused-adam" ? 256 : 6;
        using var generator = new torch.Generator(15);
        var parameters = new OptimizerTree(Linear.Init(generator, width, width, torch.CPU), Linear.Init(generator, width, 1, torch.CPU));
        var gradients = new[] { Draw(generator, parameters), Draw(generator, parameters) };
        using var notANumber = double.NaN.ToScalar();
        var nan = Tree.Map(parameters, p => torch.full_like(p, notANumber));
        var second = optimizer == "skip-non-finite" ? nan : gradients[1];

        double Run() => Scoped(() =>
        {
            var state = Optimizer.Init(pipeline, parameters);
            var current = parameters;
            foreach (var gradient in new[] { gradients[0], second, gradients[0] })
                (current, state) = Optimizer.Step(pipeline, gradient, state, current);
            return Checksum([.. Tree.Leaves(current), .. OptimizerStates.Tensors(state)]);
        });

        return new ScalarRacePart(name, Run, () =>
        {
            foreach (var tree in new[] { parameters, gradients[0], gradients[1], nan }) Tree.Dispose(tree);
        });
    }

    /// <summary>A gradient of <paramref name="parameters"/>' shapes: normal draws scaled by 0.1.</summary>
    static OptimizerTree Draw(torch.Generator generator, OptimizerTree parameters)
    {
        using var scale = 0.1.ToScalar();
        return Tree.Map(parameters, p =>
        {
            using var draw = torch.randn(p.shape, generator: generator);
            return draw.mul(scale);
        });
    }
}
