using Functional.Core;

namespace Functional.Optimizers;

/// <summary>
/// <c>Inner</c> applied only to the leaves whose path satisfies <c>Predicate</c> (it sees just those, in order);
/// the other leaves' updates are their gradients, unchanged (bitwise).
/// </summary>
/// <param name="Inner">The transformation for the selected leaves.</param>
/// <param name="Predicate">Selects leaves by path.</param>
public sealed record Masked(IGradientTransformation Inner, Func<string, bool> Predicate) : IGradientTransformation
{
    /// <summary>The transformation for the selected leaves.</summary>
    public IGradientTransformation Inner { get; init; } = Check.NotNull(Inner, nameof(Inner));

    /// <summary>Selects leaves by path.</summary>
    public Func<string, bool> Predicate { get; init; } = Check.NotNull(Predicate, nameof(Predicate));

    /// <inheritdoc />
    public object Init(IReadOnlyList<TreeLeaf> parameters) => new MaskedState(Inner.Init(parameters.Where(p => Predicate(p.Path)).ToArray()));

    /// <inheritdoc />
    public TransformResult Update(IReadOnlyList<TreeLeaf> gradients, object state, IReadOnlyList<TreeLeaf> parameters)
    {
        var masked = Check.State<MaskedState>(state, nameof(Masked));
        var selected = Enumerable.Range(0, gradients.Count).Where(i => Predicate(gradients[i].Path)).ToArray();
        var result = Inner.Update(selected.Select(i => gradients[i]).ToArray(), masked.Inner, selected.Select(i => parameters[i]).ToArray());
        var updates = Leafwise.Aliases(gradients);
        for (var k = 0; k < selected.Length; k++) updates[selected[k]] = result.Updates[k];
        return new(updates, new MaskedState(result.State));
    }
}

/// <summary>The state of <see cref="Masked"/>.</summary>
/// <param name="Inner">The inner state (over the selected leaves only).</param>
public sealed record MaskedState(object Inner);
