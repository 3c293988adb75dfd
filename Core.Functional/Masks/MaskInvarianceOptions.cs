namespace Functional.Core;

/// <summary>How <see cref="MaskInvariance.Check{TParams}"/> draws its batches and compares its runs.</summary>
/// <param name="Cases">How many random batches to try (at least 1).</param>
/// <param name="MaxBatch">Batches have 1 to this many rows (at least 1).</param>
/// <param name="MaxLength">Sequences have 1 to this many positions (at least 1).</param>
/// <param name="Features">The size of the last dimension of the values given to the layer (at least 1).</param>
/// <param name="MaxExtraPadding">The padded copy of a batch gets 1 to this many extra padded positions (at least 1).</param>
/// <param name="Holes">Whether masks may have holes (padding between real tokens); false gives prefix masks only.</param>
/// <param name="AbsoluteTolerance">Two numbers agree when |a - b| &lt;= atol + rtol·|a| (the runs are in float64).</param>
/// <param name="RelativeTolerance">See <paramref name="AbsoluteTolerance"/>.</param>
/// <param name="Seed">Seeds every random draw, so a report can be reproduced.</param>
public sealed record MaskInvarianceOptions(
    int Cases, int MaxBatch, int MaxLength, int Features, int MaxExtraPadding, bool Holes,
    double AbsoluteTolerance, double RelativeTolerance, int Seed)
{
    /// <summary>20 batches of up to 4 rows of up to 6 positions with 3 features, up to 3 extra padded positions, masks with holes, tolerances 1e-9 / 1e-7, seed 0.</summary>
    public static MaskInvarianceOptions Default { get; } = new(20, 4, 6, 3, 3, true, 1e-9, 1e-7, 0);
}
