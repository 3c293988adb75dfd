namespace Functional.Core;

/// <summary>How <see cref="GradCheck"/> compares analytic and numeric gradients.</summary>
/// <param name="Step">The finite-difference step h in (f(x + h) - f(x - h)) / 2h.</param>
/// <param name="AbsoluteTolerance">An element passes when |analytic - numeric| &lt;= atol + rtol * |numeric|.</param>
/// <param name="RelativeTolerance">See <paramref name="AbsoluteTolerance"/>.</param>
/// <param name="MaxElementsPerLeaf">Leaves with more elements are checked on this many elements drawn at random.</param>
/// <param name="Seed">Seeds the choice of elements in large leaves.</param>
public sealed record GradCheckOptions(double Step, double AbsoluteTolerance, double RelativeTolerance, int MaxElementsPerLeaf, int Seed)
{
    /// <summary>PyTorch's <c>gradcheck</c> tolerances (h = 1e-6, atol = 1e-5, rtol = 1e-3), 64 elements per leaf.</summary>
    public static GradCheckOptions Default { get; } = new(1e-6, 1e-5, 1e-3, 64, 0);
}
