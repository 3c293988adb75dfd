using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>A learned table of absolute position vectors, one row per position (as BERT's <c>position_embeddings</c>).</summary>
/// <param name="Weight">[positions, width].</param>
public sealed record LearnedPositionsParams(Tensor Weight);

/// <summary>Looks up learned absolute position vectors; a position beyond the table is an error naming the layer.</summary>
public static class LearnedPositions
{
    const string Layer = nameof(LearnedPositions);

    /// <summary>A table for positions 0 to <paramref name="positions"/> − 1 of <paramref name="width"/> features, N(0, 0.02²) as BERT, float32 on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static LearnedPositionsParams Init(Generator generator, int positions, int width, Device device)
    {
        Initializers.Positive(positions, nameof(positions));
        Initializers.Positive(width, nameof(width));
        using var scale = 0.02.ToScalar();
        using var draws = Initializers.Normal(generator, [positions, width], device);
        return new(draws.mul(scale));
    }

    /// <summary>
    /// [batch, length, width]: the rows of <paramref name="positions"/> [batch, length] (integer). The gradient flows to the rows used.
    /// </summary>
    /// <remarks>
    /// Checked before the lookup: integer positions of rank 2 on the table's device, all in [0, rows); a position out of
    /// range (a sequence longer than the table allows) is a <see cref="LayerInputException"/> naming the largest position
    /// given and the table's size (its path is named by <see cref="LayerPaths.Resolve{TParams,TResult}"/>). Pure.
    /// </remarks>
    public static Tensor Apply(LearnedPositionsParams parameters, Tensor positions)
    {
        InputChecks.IntegerIds(Layer, parameters, positions);
        InputChecks.Rank(Layer, parameters, positions, 2, "positions [batch, length]");
        InputChecks.SameDevice(Layer, parameters, positions, parameters.Weight);
        if (positions.numel() > 0)
        {
            var (low, high) = (positions.min().item<long>(), positions.max().item<long>());
            if (low < 0 || high >= parameters.Weight.shape[0])
                throw new LayerInputException(Layer, parameters, $"positions in [0, {parameters.Weight.shape[0]}) (a table of {Shapes.Format(parameters.Weight.shape)})",
                    $"{Shapes.Describe(positions)} with positions from {low} to {high}");
        }
        using var flat = positions.reshape(-1);
        using var rows = parameters.Weight.index_select(0, flat);
        return rows.reshape(positions.shape[0], positions.shape[1], parameters.Weight.shape[1]);
    }
}
