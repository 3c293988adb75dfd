using Functional.Core;

namespace Functional.Training;

/// <summary>Stops a fit when a validation metric has not improved for <paramref name="Patience"/> epochs.</summary>
/// <param name="Monitor">The validation metric watched (<c>loss</c>, or a metric the validation reports).</param>
/// <param name="Minimize">Whether smaller is better.</param>
/// <param name="Patience">Epochs without improvement tolerated before stopping (at least 1).</param>
/// <param name="MinDelta">The least change that counts as an improvement (not negative).</param>
public sealed record EarlyStopping(string Monitor, bool Minimize, int Patience, double MinDelta)
{
    /// <summary>The metric watched.</summary>
    public string Monitor { get; init; } = Problems.OrThrow(Monitor, ValidateMonitor(Monitor));

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; init; } = Problems.OrThrow(Patience, ValidatePatience(Patience));

    /// <summary>The least improvement.</summary>
    public double MinDelta { get; init; } = Problems.OrThrow(MinDelta, ValidateMinDelta(MinDelta));

    /// <summary>
    /// The problems of these settings (none when <c>new EarlyStopping(monitor, minimize, patience, minDelta)</c>
    /// succeeds), the checks its constructor throws: a monitor that is not empty, a patience of at least 1, a finite
    /// least improvement &gt;= 0.
    /// </summary>
    public static IReadOnlyList<Problem> Validate(string? monitor, int patience, double minDelta) =>
        [.. ValidateMonitor(monitor), .. ValidatePatience(patience), .. ValidateMinDelta(minDelta)];

    static IReadOnlyList<Problem> ValidateMonitor(string? monitor) =>
        monitor is null ? Bounds.NotNull(nameof(Monitor), monitor)
            : Problems.Unless(!string.IsNullOrWhiteSpace(monitor), nameof(Monitor), monitor, "name the metric to monitor");

    static IReadOnlyList<Problem> ValidatePatience(int patience) => Bounds.AtLeastOne(nameof(Patience), patience);

    static IReadOnlyList<Problem> ValidateMinDelta(double minDelta) => Bounds.NonNegative(nameof(MinDelta), minDelta);

    /// <summary>Validation loss, patience 3, any decrease.</summary>
    public static EarlyStopping Default { get; } = new(TrainingSteps.LossName, true, 3, 0);

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="best"/> (any finite value improves on none).</summary>
    public bool Improves(double value, double? best) =>
        best is not { } b ? double.IsFinite(value) : Minimize ? value < b - MinDelta : value > b + MinDelta;
}
