using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// The pre-norm peer of <see cref="TransformerRace"/>: TorchSharp binds libtorch's C++ <c>nn.TransformerEncoderLayer</c>,
/// which has no <c>norm_first</c> option (post-norm only), so this composes TorchSharp's own modules as PyTorch's
/// <c>nn.TransformerEncoderLayer(norm_first=True)</c> does in training: <c>h = x + dropout1(self_attn(norm1(x)))</c>,
/// <c>y = h + dropout2(linear2(dropout(relu(linear1(norm2(h))))))</c>, sequence-first, with the key-padding mask and
/// <c>need_weights=false</c> (as PyTorch's <c>_sa_block</c>). Its modules carry the names of the C++ layer, so the same
/// state dictionary loads into it by name.
/// </summary>
public sealed class TransformerPreNormPeer : IDisposable
{
    readonly TorchSharp.Modules.MultiheadAttention selfAttn;
    readonly TorchSharp.Modules.Linear linear1, linear2;
    readonly TorchSharp.Modules.LayerNorm norm1, norm2;
    readonly TorchSharp.Modules.Dropout dropout, dropout1, dropout2;
    readonly (string Name, torch.nn.Module Module)[] named;

    /// <summary>A peer of width <paramref name="model"/>, <paramref name="heads"/> heads, <paramref name="hidden"/> units and dropout <paramref name="rate"/>, in training mode.</summary>
    public TransformerPreNormPeer(int model, int heads, int hidden, double rate)
    {
        selfAttn = torch.nn.MultiheadAttention(model, heads, rate);
        linear1 = torch.nn.Linear(model, hidden);
        linear2 = torch.nn.Linear(hidden, model);
        norm1 = torch.nn.LayerNorm(model);
        norm2 = torch.nn.LayerNorm(model);
        dropout = torch.nn.Dropout(rate);
        dropout1 = torch.nn.Dropout(rate);
        dropout2 = torch.nn.Dropout(rate);
        named = [("self_attn", selfAttn), ("linear1", linear1), ("linear2", linear2), ("norm1", norm1), ("norm2", norm2),
            ("dropout", dropout), ("dropout1", dropout1), ("dropout2", dropout2)];
        foreach (var (_, module) in named) module.train();
    }

    /// <summary>Every parameter, in the order of the C++ layer's state dictionary's modules.</summary>
    public torch.Tensor[] Parameters() => [.. named.SelectMany(m => m.Module.parameters())];

    /// <summary>Loads a state dictionary named as <c>nn.TransformerEncoderLayer</c>'s ('.'-separated), strictly.</summary>
    public void Load(IReadOnlyDictionary<string, torch.Tensor> state)
    {
        foreach (var (name, module) in named)
        {
            var prefix = name + ".";
            var own = state.Where(entry => entry.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(entry => entry.Key[prefix.Length..], entry => entry.Value);
            if (own.Count > 0) module.load_state_dict(own, strict: true);
        }
        var known = named.Select(m => m.Name + ".").ToArray();
        var unknown = state.Keys.Where(key => !known.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal))).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"The pre-norm peer has no parameter {string.Join(", ", unknown)}.");
    }

    /// <summary>The block over <paramref name="x"/> [length, batch, model] with <paramref name="padding"/> [batch, length] (true = padded).</summary>
    public torch.Tensor Forward(torch.Tensor x, torch.Tensor padding)
    {
        var normed = norm1.call(x);
        var attended = selfAttn.call(normed, normed, normed, padding, false, null).Item1;
        var h = x.add(dropout1.call(attended), Functional.Core.Scalars.One);
        var ff = linear2.call(dropout.call(torch.nn.functional.relu(linear1.call(norm2.call(h)))));
        return h.add(dropout2.call(ff), Functional.Core.Scalars.One);
    }

    /// <summary>Disposes the modules.</summary>
    public void Dispose()
    {
        foreach (var (_, module) in named) module.Dispose();
    }
}
