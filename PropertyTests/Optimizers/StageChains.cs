using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Functional.Optimizers;

namespace Functional.PropertyTests.Optimizers;

/// <summary>The stages a random chain is made of.</summary>
public enum StageKind
{
    Scale, ScaleByLearningRate, Trace, ScaleByRms, ScaleByAdam, ScaleByAdagrad, AddDecayedWeights,
    ClipByValue, ClipByNorm, ClipByGlobalNorm, AdaptiveClip, ScaleByTrustRatio, ScaleByLion,
}

/// <summary>
/// One stage of a random chain: its kind, its one number (unused by the stages that take none) and Trace's Nesterov
/// flag. It prints as the code that makes the stage.
/// </summary>
public sealed record StageSpec(StageKind Kind, double Value, bool Nesterov)
{
    /// <summary>The stage itself.</summary>
    public IGradientTransformation Build() => Kind switch
    {
        StageKind.Scale => new Scale(Value),
        StageKind.ScaleByLearningRate => new ScaleByLearningRate(Value),
        StageKind.Trace => new Trace(Value, Nesterov),
        StageKind.ScaleByRms => ScaleByRms.Default,
        StageKind.ScaleByAdam => ScaleByAdam.Default,
        StageKind.ScaleByAdagrad => ScaleByAdagrad.Default,
        StageKind.AddDecayedWeights => new AddDecayedWeights(Value, ["**/bias"]),
        StageKind.ClipByValue => new ClipByValue(Value),
        StageKind.ClipByNorm => new ClipByNorm(Value),
        StageKind.ClipByGlobalNorm => new ClipByGlobalNorm(Value),
        StageKind.AdaptiveClip => new AdaptiveClip(Value, 1e-3),
        StageKind.ScaleByTrustRatio => ScaleByTrustRatio.Instance,
        _ => ScaleByLion.Default,
    };

    public override string ToString() => Kind switch
    {
        StageKind.Trace => $"new Trace({Number(Value)}, Nesterov: {(Nesterov ? "true" : "false")})",
        StageKind.AddDecayedWeights => $"new AddDecayedWeights({Number(Value)}, [\"**/bias\"])",
        StageKind.AdaptiveClip => $"new AdaptiveClip({Number(Value)}, 1e-3)",
        StageKind.ScaleByTrustRatio => "ScaleByTrustRatio.Instance",
        _ when StageChains.TakesValue(Kind) => $"new {Kind}({Number(Value)})",
        _ => $"{Kind}.Default",
    };

    static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A chain of stages and the seed of the random tensors (parameters, gradients) it runs on.</summary>
public sealed record ChainCase(int Seed, IReadOnlyList<StageSpec> Stages)
{
    /// <summary>The stages, built.</summary>
    public IGradientTransformation[] BuildStages() => Stages.Select(stage => stage.Build()).ToArray();

    public override string ToString() => $"seed {Seed}: new Chain({string.Join(", ", Stages)})";
}

/// <summary>
/// FsCheck's generator of <see cref="ChainCase"/>: 1 to 4 stages drawn from all kinds with their numbers in the
/// ranges the laws are stated for. A failing chain shrinks by dropping stages (down to one), by simplifying numbers
/// (to a round value, then to one decimal) and by setting the seed to 0.
/// </summary>
public static class StageChains
{
    /// <summary>Each kind's range of numbers [Low, High) and the simplest number in it; kinds without a number have none.</summary>
    static readonly Dictionary<StageKind, (double Low, double High, double Simplest)> Ranges = new()
    {
        [StageKind.Scale] = (-2, 2, 1),
        [StageKind.ScaleByLearningRate] = (0, 1, 0.5),
        [StageKind.Trace] = (0, 0.9, 0.5),
        [StageKind.AddDecayedWeights] = (0, 1, 0.5),
        [StageKind.ClipByValue] = (0, 1, 0.5),
        [StageKind.ClipByNorm] = (0.1, 1.1, 1),
        [StageKind.ClipByGlobalNorm] = (0.1, 3.1, 1),
        [StageKind.AdaptiveClip] = (0.1, 1.1, 1),
    };

    /// <summary>Whether the stage takes a number.</summary>
    public static bool TakesValue(StageKind kind) => Ranges.ContainsKey(kind);

    /// <summary>One stage: any kind; its number in its range, with three decimals (so it prints short).</summary>
    public static Gen<StageSpec> Stage { get; } =
        Gen.Elements(Enum.GetValues<StageKind>()).SelectMany(kind =>
            Gen.Choose(0, 999).SelectMany(step => Gen.Elements(false, true).Select(nesterov =>
            {
                if (!TakesValue(kind)) return new StageSpec(kind, 0, false);
                var (low, high, _) = Ranges[kind];
                return new StageSpec(kind, Math.Round(low + (high - low) * step / 1000, 3), kind == StageKind.Trace && nesterov);
            })));

    /// <summary>The chains of the stage laws (<see cref="StageProperties"/>).</summary>
    public static Arbitrary<ChainCase> Chains() =>
        Arb.From(
            Gen.Choose(0, int.MaxValue).SelectMany(seed => Gen.Choose(1, 4).SelectMany(length => Gen.ArrayOf(Stage, length))
                .Select(stages => new ChainCase(seed, stages))),
            Shrink);

    /// <summary>The simpler chains to try when <paramref name="chain"/> fails: shorter first, then simpler stages, then seed 0.</summary>
    public static IEnumerable<ChainCase> Shrink(ChainCase chain)
    {
        var stages = chain.Stages;
        if (stages.Count > 1)
            for (var i = 0; i < stages.Count; i++)
                yield return chain with { Stages = [.. stages.Take(i), .. stages.Skip(i + 1)] };
        for (var i = 0; i < stages.Count; i++)
            foreach (var simpler in Simpler(stages[i]))
                yield return chain with { Stages = [.. stages.Take(i), simpler, .. stages.Skip(i + 1)] };
        if (chain.Seed != 0) yield return chain with { Seed = 0 };
    }

    static IEnumerable<StageSpec> Simpler(StageSpec stage)
    {
        if (stage.Nesterov) yield return stage with { Nesterov = false };
        if (!TakesValue(stage.Kind)) yield break;
        var simplest = Ranges[stage.Kind].Simplest;
        if (stage.Value == simplest) yield break;
        yield return stage with { Value = simplest };
        var rounded = Math.Round(stage.Value, 1);
        var (low, high, _) = Ranges[stage.Kind];
        if (rounded != stage.Value && rounded >= low && rounded < high) yield return stage with { Value = rounded };
    }
}
