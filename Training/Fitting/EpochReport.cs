namespace Functional.Training;

/// <summary>What a fit reports after each epoch (to callbacks, the log and the history).</summary>
/// <param name="Epoch">The 0-based epoch just finished.</param>
/// <param name="Step">Training steps taken so far.</param>
/// <param name="Train">The mean of each training metric over the epoch's steps (of this run, after a resume).</param>
/// <param name="Validation">The validation metrics (computed with the EMA weights when the pipeline keeps them), empty without validation.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochReport(int Epoch, long Step, IReadOnlyDictionary<string, double> Train, IReadOnlyDictionary<string, double> Validation, double Seconds);
