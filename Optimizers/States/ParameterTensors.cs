using System.Collections;
using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// One tensor per parameter leaf, named by the parameter's path: the moments of a stage (Adam's <c>mu</c> and
/// <c>nu</c>, a momentum trace, an EMA of the weights) mirror the parameter tree. As a Core tree its leaves are named
/// <c>{field}/{parameter path}</c>, e.g. <c>mu/encoder/weight</c> inside <see cref="ScaleByAdamState"/>.
/// </summary>
/// <remarks>
/// It reads as a list of its tensors (index <c>i</c> is the <c>i</c>-th parameter leaf in <see cref="Tree.Flatten{T}"/>
/// order). The paths are the ones the stage was initialised with (a <see cref="Masked"/> or <see cref="Partition"/> stage
/// sees only its own leaves, so its moments name only those). Immutable; nothing here copies, mutates or disposes a tensor.
/// </remarks>
/// <param name="Paths">The parameter paths, one per tensor.</param>
/// <param name="Values">The tensors, in the parameters' order.</param>
[CustomTreeNode(typeof(ParameterTensorsTreeNode))]
public sealed record ParameterTensors(IReadOnlyList<string> Paths, IReadOnlyList<torch.Tensor> Values) : IReadOnlyList<torch.Tensor>
{
    /// <summary>The parameter paths, one per tensor.</summary>
    public IReadOnlyList<string> Paths { get; } = Paths.Count == Values.Count
        ? Paths
        : throw new ArgumentException($"{Paths.Count} parameter paths for {Values.Count} tensors: give one tensor per parameter leaf.", nameof(Values));

    /// <summary>The tensors named by the paths of <paramref name="parameters"/> (which must be as many).</summary>
    public static ParameterTensors Of(IReadOnlyList<TreeLeaf> parameters, IReadOnlyList<torch.Tensor> values) =>
        new(parameters.Select(leaf => leaf.Path).ToArray(), values);

    /// <summary>New tensors under the same paths (as many as <see cref="Paths"/>).</summary>
    public ParameterTensors With(IReadOnlyList<torch.Tensor> values) => new(Paths, values);

    /// <summary>The tensor of the <paramref name="index"/>-th parameter.</summary>
    public torch.Tensor this[int index] => Values[index];

    /// <summary>The number of parameters.</summary>
    public int Count => Values.Count;

    /// <inheritdoc />
    public IEnumerator<torch.Tensor> GetEnumerator() => Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
