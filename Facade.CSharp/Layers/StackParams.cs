namespace Functional.Facade;

/// <summary>
/// The parameters of a layer stack built by <see cref="StackBuilder"/>: one entry per layer, in order, so the tree
/// paths are <c>layers/0/weight</c>, <c>layers/2/inner/bias</c>, ... Each entry is the layer's core record
/// (<c>LinearParams</c>, <c>LayerNormParams</c>, <c>FeedForwardParams</c>, a nested <see cref="StackParams"/> for a
/// residual block or a reused stack, a custom layer's own record) or, for a layer without parameters, its
/// configuration (the <c>Activation</c>, the dropout rate as a <see cref="double"/>), which the tree carries over.
/// </summary>
/// <param name="Layers">The layers' entries in order.</param>
public sealed record StackParams(IReadOnlyList<object> Layers);
