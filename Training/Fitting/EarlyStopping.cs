namespace Functional.Training;

/// <summary>Stops a fit when a validation metric has not improved for <paramref name="Patience"/> epochs.</summary>
/// <param name="Monitor">The validation metric watched (<c>loss</c>, or a metric the validation reports).</param>
/// <param name="Minimize">Whether smaller is better.</param>
/// <param name="Patience">Epochs without improvement tolerated before stopping (at least 1).</param>
/// <param name="MinDelta">The least change that counts as an improvement (not negative).</param>
public sealed record EarlyStopping(string Monitor, bool Minimize, int Patience, double MinDelta)
{
    /// <summary>The metric watched.</summary>
    public string Monitor { get; init; } = !string.IsNullOrEmpty(Monitor) ? Monitor : throw new ArgumentException("Name the metric to monitor.", nameof(Monitor));

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; init; } = Patience >= 1 ? Patience : throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience is at least one epoch.");

    /// <summary>The least improvement.</summary>
    public double MinDelta { get; init; } = MinDelta >= 0 ? MinDelta : throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, "The least improvement is not negative.");

    /// <summary>Validation loss, patience 3, any decrease.</summary>
    public static EarlyStopping Default { get; } = new(TrainingSteps.LossName, true, 3, 0);

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="best"/> (any finite value improves on none).</summary>
    public bool Improves(double value, double? best) =>
        best is not { } b ? double.IsFinite(value) : Minimize ? value < b - MinDelta : value > b + MinDelta;
}
