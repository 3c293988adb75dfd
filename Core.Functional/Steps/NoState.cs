namespace Functional.Core;

/// <summary>
/// The model state of a stateless model: a record without tensors, so a tree with no leaves (<see cref="Tree"/>). A train
/// state of such a model is a <c>TrainState&lt;TParams, NoState&gt;</c>, checkpointed, broadcast and released like any other,
/// with nothing under <c>model-state/</c>.
/// </summary>
public sealed record NoState
{
    /// <summary>The one value (every <see cref="NoState"/> equals every other).</summary>
    public static NoState Value { get; } = new();
}
