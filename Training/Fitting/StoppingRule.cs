namespace Functional.Training;

/// <summary>The bookkeeping of <see cref="EarlyStopping"/> across epochs.</summary>
sealed class StoppingRule(EarlyStopping? rule)
{
    double? best;
    int epochsWithoutImprovement;

    /// <summary>Records the epoch; true when the monitored metric has not improved for the rule's patience.</summary>
    /// <exception cref="KeyNotFoundException">Validation does not report the monitored metric.</exception>
    public bool ShouldStop(EpochReport report)
    {
        if (rule is null) return false;
        if (!report.Validation.TryGetValue(rule.Monitor, out var value))
            throw new KeyNotFoundException($"Early stopping watches '{rule.Monitor}', but validation reports: {(report.Validation.Count == 0 ? "nothing (no validation given)" : string.Join(", ", report.Validation.Keys))}.");
        if (rule.Improves(value, best)) (best, epochsWithoutImprovement) = (value, 0);
        else epochsWithoutImprovement++;
        return epochsWithoutImprovement >= rule.Patience;
    }
}
