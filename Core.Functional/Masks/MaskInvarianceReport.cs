namespace Functional.Core;

/// <summary>The first way a layer was found to depend on padding.</summary>
/// <param name="Check">Which check failed: <c>output mask</c>, <c>finite outputs</c>, <c>real outputs</c>, <c>finite gradients</c>, <c>parameter gradients</c> or <c>padded input gradients</c>.</param>
/// <param name="Case">The index of the random batch (0-based); with the options' seed it reproduces the batch.</param>
/// <param name="Row">The batch row, or -1 when the check is not about a position (a parameter gradient).</param>
/// <param name="Position">The sequence position, or -1 when the check is not about a position.</param>
/// <param name="Detail">The shapes of the case and the numbers that differ.</param>
public sealed record MaskInvarianceViolation(string Check, int Case, long Row, long Position, string Detail)
{
    /// <inheritdoc />
    public override string ToString() =>
        Row < 0 ? $"{Check} violated in case {Case}: {Detail}" : $"{Check} violated in case {Case} at row {Row}, position {Position}: {Detail}";
}

/// <summary>The outcome of <see cref="MaskInvariance.Check{TParams}"/>.</summary>
/// <param name="Passed">No check failed in any case.</param>
/// <param name="CasesRun">How many batches were tried (the check stops at the first violation).</param>
/// <param name="FirstViolation">The first violation found, or null when the layer passed.</param>
public sealed record MaskInvarianceReport(bool Passed, int CasesRun, MaskInvarianceViolation? FirstViolation)
{
    /// <inheritdoc />
    public override string ToString() =>
        Passed ? $"Mask invariance held in {CasesRun} cases." : $"Mask invariance failed: {FirstViolation}.";
}
