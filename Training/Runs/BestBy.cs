namespace Functional.Training;

/// <summary>
/// Which validations a <see cref="FolderRun"/> keeps (Keras' <c>ModelCheckpoint(monitor, mode, save_best_only)</c>): the
/// best <paramref name="KeepBest"/> by the validation metric <paramref name="Monitor"/>, in the run folder's
/// <see cref="RunOptions.BestFolder"/> (<see cref="BestCheckpoints"/>).
/// </summary>
/// <param name="Monitor">The validation metric ranked by (a key of the validation's dictionary).</param>
/// <param name="Minimize">Whether smaller is better (a loss) or larger (an accuracy, a ROUGE score).</param>
/// <param name="KeepBest">How many are kept, at least 1.</param>
public sealed record BestBy(string Monitor, bool Minimize, int KeepBest = 1);
