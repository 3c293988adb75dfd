namespace Functional.Core;

/// <summary>
/// A model's non-trained state: batch-norm running statistics, spectral-norm power-iteration vectors, any tensors the
/// model updates as it runs but never trains. It is one tree (a record of tensors, as parameters are; see
/// <see cref="Tree"/>) or nothing. The model reads it from <see cref="StepContext.State"/> and returns the next one beside
/// its loss; the training step keeps it in the train state and checkpoints it, and no gradient ever flows into it.
/// </summary>
/// <param name="Value">The tree, or null for a model without state.</param>
public sealed record ModelState(object? Value)
{
    /// <summary>No state: what a stateless model reads and returns.</summary>
    public static ModelState Empty { get; } = new((object?)null);

    /// <summary>The state <paramref name="value"/> (a tree of tensors; the state holds exactly these tensors).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null (use <see cref="Empty"/>).</exception>
    public static ModelState Of<T>(T value) where T : class => new((object?)(value ?? throw new ArgumentNullException(nameof(value), "A model state needs a value; use ModelState.Empty for none.")));

    /// <summary>Whether there is no state.</summary>
    public bool IsEmpty => Value is null;

    /// <summary>The state as the record type the model made it with.</summary>
    /// <exception cref="InvalidOperationException">The state is empty or of another type; the message names both types.</exception>
    public T Get<T>() where T : class =>
        Value as T ?? throw new InvalidOperationException(
            $"The model asked for its state as {typeof(T).Name}, but the state is {(Value is null ? "empty (ModelState.Empty)" : Value.GetType().Name)}. "
            + "Give the train state the model's initial state (TrainState.Init with a model state, or ResumeOrInit with a model-state template).");

    /// <summary>The leaves of the state with their paths (none when empty).</summary>
    public IReadOnlyList<TreeLeaf> Flatten() => Value is null ? [] : Tree.Flatten(Value);

    /// <summary>A state of the same structure whose every leaf is <paramref name="function"/> of the old one (<see cref="Empty"/> stays empty).</summary>
    public ModelState Map(Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> function) =>
        Value is null ? Empty : new ModelState(Tree.Map(Value, function));

    /// <summary>The state's tensors, in flatten order.</summary>
    public IReadOnlyList<TorchSharp.torch.Tensor> Leaves() => Value is null ? [] : Tree.Leaves(Value);
}
