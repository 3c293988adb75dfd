namespace Functional.Training;

/// <summary>What a fit callback tells the loop after an epoch.</summary>
public enum FitDecision
{
    /// <summary>Go on training.</summary>
    Continue,
    /// <summary>Stop after this epoch (its checkpoint is still written).</summary>
    Stop,
}
