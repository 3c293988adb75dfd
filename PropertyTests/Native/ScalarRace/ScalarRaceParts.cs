using TorchSharp;
using Functional.Core;

namespace Functional.PropertyTests.Native;

/// <summary>
/// The hot paths the <see cref="ScalarRaceWorkload"/> exercises, each a <see cref="ScalarRacePart"/> with tiny
/// fixed inputs drawn from a fixed seed (an iteration of a part costs milliseconds).
/// </summary>
/// <remarks>
/// The parts' own code creates no implicit <see cref="Scalar"/> (no <c>tensor * 2.0</c>, no <c>a + b</c> of tensors,
/// no <c>square()</c>, no <c>masked_fill(mask, 0.0)</c>): losses combine with <c>mul</c> of tensors and
/// <c>stack().sum()</c>, so any race a run finds is the library's.
/// </remarks>
public static partial class ScalarRaceParts
{
    /// <summary>Every part's name, in the order a full run runs them.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "lstm", "gru", "attention", "lstm-step", "masks",
        "title-step", "title-beam", "title-greedy",
        .. OptimizerNames.Select(name => $"optimizer-{name}"),
        "training",
    ];

    /// <summary>Builds the part called <paramref name="name"/> (one of <see cref="Names"/>).</summary>
    /// <exception cref="ArgumentException">No part has that name.</exception>
    public static ScalarRacePart Create(string name) => name switch
    {
        "lstm" => Recurrent(name, lstm: true),
        "gru" => Recurrent(name, lstm: false),
        "attention" => AttentionPart(name),
        "lstm-step" => LstmStepPart(name),
        "masks" => MasksPart(name),
        "title-step" => TitleStepPart(name),
        "title-beam" => TitleBeamPart(name),
        "title-greedy" => TitleGreedyPart(name),
        "training" => TrainingPart(name),
        _ when name.StartsWith("optimizer-", StringComparison.Ordinal) => OptimizerPart(name, name["optimizer-".Length..]),
        _ => throw new ArgumentException($"No scalar-race part is called '{name}'; the parts are: {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>The sum of all elements of <paramref name="tensors"/>, in float64, on the host.</summary>
    static double Checksum(params IEnumerable<torch.Tensor> tensors)
    {
        var total = 0.0;
        foreach (var tensor in tensors)
        {
            using var wide = tensor.detach().to(torch.float64);
            using var sum = wide.sum();
            total += sum.item<double>();
        }
        return total;
    }

    /// <summary>The sum of the squares of all elements of <paramref name="tensor"/> (a scalar tensor; no implicit Scalar).</summary>
    static torch.Tensor SumOfSquares(torch.Tensor tensor) => tensor.mul(tensor).sum();

    /// <summary>The sum of scalar tensors, as one scalar tensor (no implicit Scalar).</summary>
    static torch.Tensor Total(params torch.Tensor[] scalars) => torch.stack(scalars).sum();

    /// <summary>Runs <paramref name="body"/> in a dispose scope of its own: nothing it creates outlives it.</summary>
    static double Scoped(Func<double> body)
    {
        using var scope = torch.NewDisposeScope();
        return body();
    }

    /// <summary>A prefix mask [rows, length] from per-row lengths.</summary>
    static torch.Tensor PrefixMask(long length, params long[] lengths)
    {
        using var counts = torch.tensor(lengths);
        return Core.Masks.FromLengths(counts, length);
    }

    /// <summary>A mask [rows, length] from a row-major pattern of 0 and 1.</summary>
    static torch.Tensor MaskOf(long rows, long length, params int[] pattern) =>
        torch.tensor(pattern.Select(bit => bit != 0).ToArray(), [rows, length]);
}
