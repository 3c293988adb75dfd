using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The weights of one direction of one recurrent layer, laid out as PyTorch's <c>nn.LSTM</c> / <c>nn.GRU</c>
/// (<c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>, with the suffix
/// <c>_reverse</c> for the backward direction) so weights carry over. G is 4 for an LSTM (gates i, f, g, o) and 3 for
/// a GRU (gates r, z, n).
/// </summary>
/// <param name="InputWeight">[G·hidden, inputs].</param>
/// <param name="HiddenWeight">[G·hidden, hidden].</param>
/// <param name="InputBias">[G·hidden].</param>
/// <param name="HiddenBias">[G·hidden].</param>
public sealed record RecurrentCellParams(Tensor InputWeight, Tensor HiddenWeight, Tensor InputBias, Tensor HiddenBias);

/// <summary>One layer of a recurrent network: a forward direction and, for a bidirectional layer, a backward one.</summary>
/// <param name="Forward">Reads each row from its first position to its last.</param>
/// <param name="Backward">Reads each row from its last real token to its first, or null for a unidirectional layer.</param>
public sealed record RecurrentLayerParams(RecurrentCellParams Forward, RecurrentCellParams? Backward);

/// <summary>The parameters of a multi-layer LSTM: layer k + 1 reads the (concatenated) outputs of layer k.</summary>
/// <param name="Layers">At least one layer; all unidirectional or all bidirectional.</param>
/// <remarks>Its tree leaves are named as PyTorch's <c>nn.LSTM</c> state dict (<see cref="RecurrentTreeNode"/>).</remarks>
[CustomTreeNode(typeof(LstmTreeNode))]
public sealed record LstmParams(RecurrentLayerParams[] Layers);

/// <summary>The parameters of a multi-layer GRU: layer k + 1 reads the (concatenated) outputs of layer k.</summary>
/// <param name="Layers">At least one layer; all unidirectional or all bidirectional.</param>
/// <remarks>Its tree leaves are named as PyTorch's <c>nn.GRU</c> state dict (<see cref="RecurrentTreeNode"/>).</remarks>
[CustomTreeNode(typeof(GruTreeNode))]
public sealed record GruParams(RecurrentLayerParams[] Layers);

/// <summary>What a masked LSTM returns.</summary>
/// <param name="Output">[batch, length, directions·hidden] of the last layer (forward half first) with the input mask; zeros at padded positions.</param>
/// <param name="Hidden">[layers·directions, batch, hidden], PyTorch's order (layer 0 forward, layer 0 backward, layer 1 forward, ...): each direction's state after its last real step (zeros for a row without real tokens).</param>
/// <param name="Cell">The cell states, shaped and ordered as <paramref name="Hidden"/>.</param>
public sealed record LstmResult(MaskedSequence Output, Tensor Hidden, Tensor Cell);

/// <summary>What a masked GRU returns.</summary>
/// <param name="Output">[batch, length, directions·hidden] of the last layer (forward half first) with the input mask; zeros at padded positions.</param>
/// <param name="Hidden">[layers·directions, batch, hidden], PyTorch's order: each direction's state after its last real step (zeros for a row without real tokens).</param>
public sealed record GruResult(MaskedSequence Output, Tensor Hidden);
