namespace Functional.Training;

/// <summary>
/// Where a run starts, and what was done to get there (<see cref="TrainStateFile.ResumeOrInit{TParams, TModelState}"/>,
/// <see cref="TrainStateFile.LoadLatest{TParams, TModelState}"/>), for the caller to print.
/// </summary>
/// <param name="State">The state to train from (the caller's to dispose).</param>
/// <param name="FromStep">The step of the checkpoint it was loaded from, or null when the run starts afresh.</param>
/// <param name="Skipped">Newer checkpoints that could not be loaded (damaged, unverifiable) and were passed over, newest first.</param>
/// <param name="Notes">What happened, one sentence each: a checkpoint passed over and why, a manifest rewritten, checkpoints deleted by a restart.</param>
public sealed record Resumption<TParams, TModelState>(TrainState<TParams, TModelState> State, long? FromStep, IReadOnlyList<long> Skipped, IReadOnlyList<string> Notes)
{
    /// <summary>One line (or a few) saying where the run starts and why: "Resuming from the checkpoint of step 400. ...".</summary>
    public string Describe() =>
        string.Join(" ", Notes.Prepend(FromStep is { } step ? $"Resuming from the checkpoint of step {step}." : "Starting afresh at step 0."));
}
