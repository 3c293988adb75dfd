namespace Functional.Training;

/// <summary>
/// Progress of a counted piece of work outside the training steps (validation, evaluation, batch generation), so a
/// library can report it without knowing how it is shown. A caller (the command line) passes an implementation that
/// draws a bar; library functions take it as an optional argument and report nothing without one.
/// </summary>
/// <remarks>
/// Contract: <see cref="Start"/> once per task, then <see cref="Advance"/> as items finish (the sum of the counts never
/// exceeds the total), then <see cref="Finish"/> (also when the task stops early: the display keeps the count reached).
/// Tasks do not nest; an implementation may be reused for the next task after <see cref="Finish"/>.
/// </remarks>
public interface ITaskProgress
{
    /// <summary>A task named <paramref name="name"/> of <paramref name="total"/> items begins.</summary>
    void Start(string name, int total);

    /// <summary><paramref name="items"/> more items are done.</summary>
    void Advance(int items);

    /// <summary>The task is over (completed, or stopped at the count reached so far).</summary>
    void Finish();
}
