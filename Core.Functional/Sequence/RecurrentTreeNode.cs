using System.Globalization;

namespace Functional.Core;

/// <summary>
/// The tree of a multi-layer recurrent record (<see cref="LstmParams"/>, <see cref="GruParams"/>, which declare it with
/// <see cref="CustomTreeNodeAttribute"/>): its leaves are named as PyTorch's <c>nn.LSTM</c> / <c>nn.GRU</c> state dict,
/// flat under the record's path — <c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>,
/// with the suffix <c>_reverse</c> for the backward direction — in PyTorch's order (per layer: forward, then backward;
/// per direction: the four tensors in that order). Saved under a path <c>encoder</c>, the LSTM's tensors read
/// <c>encoder/weight_ih_l0</c>, which is PyTorch's <c>encoder.weight_ih_l0</c> with '/' for '.'.
/// </summary>
/// <remarks>
/// The layer and direction records are reported as inner nodes at the recurrent record's own path (they have no path of
/// their own). Rebuilding follows the template: a layer gets a backward direction when the template's layer has one.
/// </remarks>
internal abstract class RecurrentTreeNode(Func<object, RecurrentLayerParams[]> layersOf, Func<RecurrentLayerParams[], object> construct) : ICustomTreeNode
{
    /// <summary>PyTorch's names of a direction's tensors, in field order of <see cref="RecurrentCellParams"/>.</summary>
    internal static readonly string[] TensorNames = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"];

    /// <summary>The suffix PyTorch gives the backward direction's tensors.</summary>
    internal const string ReverseSuffix = "_reverse";

    public void Flatten(object value, ICustomTreeLeaves leaves)
    {
        var layers = layersOf(value);
        if (layers is null) return;
        leaves.Inner(layers);
        for (var k = 0; k < layers.Length; k++)
        {
            var layer = layers[k];
            if (layer is null) continue;
            leaves.Inner(layer);
            Cell(layer.Forward, k, "", leaves);
            if (layer.Backward is not null) Cell(layer.Backward, k, ReverseSuffix, leaves);
        }
    }

    static void Cell(RecurrentCellParams cell, int layer, string suffix, ICustomTreeLeaves leaves)
    {
        leaves.Inner(cell);
        var tensors = new[] { cell.InputWeight, cell.HiddenWeight, cell.InputBias, cell.HiddenBias };
        for (var i = 0; i < tensors.Length; i++)
            leaves.Leaf(leaves.WantsNames ? Name(i, layer, suffix) : "", tensors[i]);
    }

    static string Name(int tensor, int layer, string suffix) =>
        string.Create(CultureInfo.InvariantCulture, $"{TensorNames[tensor]}_l{layer}{suffix}");

    public object Rebuild(object template, ICustomTreeSource leaves)
    {
        var layers = layersOf(template);
        if (layers is null) return template;
        var rebuilt = new RecurrentLayerParams[layers.Length];
        for (var k = 0; k < layers.Length; k++)
        {
            var forward = Cell(leaves);
            rebuilt[k] = new RecurrentLayerParams(forward, layers[k].Backward is null ? null : Cell(leaves));
        }
        return construct(rebuilt);
    }

    static RecurrentCellParams Cell(ICustomTreeSource leaves) => new(leaves.Next(), leaves.Next(), leaves.Next(), leaves.Next());
}

/// <summary>The tree of <see cref="LstmParams"/>: PyTorch's <c>nn.LSTM</c> state-dict names.</summary>
internal sealed class LstmTreeNode() : RecurrentTreeNode(value => ((LstmParams)value).Layers, layers => new LstmParams(layers));

/// <summary>The tree of <see cref="GruParams"/>: PyTorch's <c>nn.GRU</c> state-dict names.</summary>
internal sealed class GruTreeNode() : RecurrentTreeNode(value => ((GruParams)value).Layers, layers => new GruParams(layers));
