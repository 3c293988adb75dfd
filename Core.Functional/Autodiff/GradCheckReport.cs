namespace Functional.Core;

/// <summary>The element whose analytic gradient is furthest from the numeric one, relative to the tolerance.</summary>
/// <param name="Path">The leaf's path in the parameter tree.</param>
/// <param name="Index">The element's index in the flattened leaf.</param>
/// <param name="Analytic">The gradient from autodiff.</param>
/// <param name="Numeric">The central finite-difference estimate.</param>
/// <param name="ToleranceRatio">|analytic - numeric| / (atol + rtol * |numeric|): the element fails when above 1.</param>
public sealed record GradCheckElement(string Path, long Index, double Analytic, double Numeric, double ToleranceRatio)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"'{TreePath.Display(Path)}'[{Index}]: analytic {Analytic:G6}, numeric {Numeric:G6} ({ToleranceRatio:G3} x the tolerance)";
}

/// <summary>The outcome of <see cref="GradCheck.Run{TParams}"/>.</summary>
/// <param name="Passed">Every checked element was within tolerance.</param>
/// <param name="CheckedElements">How many elements were compared.</param>
/// <param name="FailedElements">How many of them were out of tolerance.</param>
/// <param name="Worst">The element furthest from its tolerance (null when no element was checked).</param>
public sealed record GradCheckReport(bool Passed, int CheckedElements, int FailedElements, GradCheckElement? Worst)
{
    /// <inheritdoc />
    public override string ToString() =>
        (Passed ? "GradCheck passed" : $"GradCheck failed on {FailedElements} of {CheckedElements} elements")
        + (Worst is null ? " (nothing to check)." : $"; worst {Worst}.");
}
