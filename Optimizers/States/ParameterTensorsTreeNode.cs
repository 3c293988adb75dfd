using Functional.Core;

namespace Functional.Optimizers;

/// <summary>
/// The tree of <see cref="ParameterTensors"/>: one leaf per tensor, named by its parameter's path below the record's
/// own path (<c>mu/encoder/weight</c>); rebuilt with the template's paths.
/// </summary>
internal sealed class ParameterTensorsTreeNode : ICustomTreeNode
{
    public void Flatten(object value, ICustomTreeLeaves leaves)
    {
        var tensors = (ParameterTensors)value;
        for (var i = 0; i < tensors.Count; i++) leaves.Leaf(leaves.WantsNames ? tensors.Paths[i] : "", tensors.Values[i]);
    }

    public object Rebuild(object template, ICustomTreeSource leaves)
    {
        var tensors = (ParameterTensors)template;
        var rebuilt = new TorchSharp.torch.Tensor[tensors.Count];
        for (var i = 0; i < rebuilt.Length; i++) rebuilt[i] = leaves.Next();
        return tensors.With(rebuilt);
    }
}
