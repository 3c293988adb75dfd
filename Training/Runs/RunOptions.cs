namespace Functional.Training;

/// <summary>
/// How a <see cref="FolderRun"/> keeps its folder: <c>checkpoints/</c> (the train state, resumed from), <c>metrics.jsonl</c>
/// and, with <see cref="Best"/>, <c>best/</c>.
/// </summary>
/// <param name="Folder">The run folder (created when missing); a run there is resumed.</param>
public sealed record RunOptions(string Folder)
{
    /// <summary>Delete the checkpoints (and the best ones) and start over instead of resuming; false (the default) resumes from the newest checkpoint that loads.</summary>
    public bool Restart { get; init; }

    /// <summary>The newest checkpoints kept (at least 1).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>A checkpoint every that many steps too (0: at epoch ends and stops only).</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>The validations kept by a metric; null keeps none.</summary>
    public BestBy? Best { get; init; }

    /// <summary>Where the run says what it does (leftovers removed, where it resumes, kept validations); the root's only.</summary>
    public TextWriter Output { get; init; } = TextWriter.Null;

    /// <summary>The checkpoint folder, <c>FOLDER/checkpoints</c>.</summary>
    public string CheckpointFolder => Path.Combine(Folder, "checkpoints");

    /// <summary>The metrics log, <c>FOLDER/metrics.jsonl</c>.</summary>
    public string MetricsLogPath => Path.Combine(Folder, "metrics.jsonl");

    /// <summary>The best validations' folder, <c>FOLDER/best</c>.</summary>
    public string BestFolder => Path.Combine(Folder, "best");
}
