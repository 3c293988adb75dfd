namespace Functional.Training;

/// <summary>Where a run is in its data: the next batch to train on. Saved with a checkpoint to resume exactly.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="Batch">0-based index of the next batch in that epoch's plan.</param>
public sealed record DataPosition(int Epoch, int Batch)
{
    /// <summary>The start of training.</summary>
    public static DataPosition Start { get; } = new(0, 0);
}
