using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// The pieces of a transformer block's training step timed one by one (forward and backward), in interleaved rounds:
/// <c>dotnet run --project Benchmarks -c Release -- transformer-profile</c>. Used to find where our block spends time
/// that TorchSharp's <c>nn.TransformerEncoderLayer</c> does not. Options as <see cref="TransformerRace"/>.
/// </summary>
public static class TransformerProfile
{
    /// <summary>Runs the profile; returns 0.</summary>
    public static int Run(IReadOnlyList<string> arguments)
    {
        var options = new Arguments(arguments);
        var rounds = options.Integer("rounds", 11);
        var steps = options.Integer("steps", 5);
        var batch = options.Integer("batch", 32);
        var length = options.Integer("length", 64);
        var model = options.Integer("model", 256);
        var heads = options.Integer("heads", 4);
        var hidden = options.Integer("hidden", 1024);
        var dropout = options.Number("dropout", 0.1);
        options.CheckAllUsed();
        torch.set_num_threads(1);
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}");
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(1);
        var settings = TransformerBlockSettings.Default with { NormFirst = false, Activation = Activation.Relu, Dropout = dropout, AttentionDropout = dropout };
        var post = TransformerBlock.Init(generator, model, heads, hidden, false, null, settings, torch.CPU);
        using var peer = torch.nn.TransformerEncoderLayer(model, heads, hidden, dropout);
        peer.load_state_dict(Tree.Flatten(post).ToDictionary(leaf => leaf.Path.Replace('/', '.'), leaf => leaf.Value), strict: true);
        peer.train();
        var lengths = torch.randint(length / 2, length + 1, [batch], generator: generator);
        var mask = Masks.FromLengths(lengths, length);
        var x = torch.randn([batch, length, model], generator: generator);
        var allowed = AttentionMasks.Padding(mask, mask);
        var positions = Ranges.Of(length, torch.CPU).unsqueeze(0).expand(batch, length).contiguous();
        var padding = mask.logical_not();
        var xFirst = x.transpose(0, 1).contiguous();
        var sequence = new MaskedSequence(x, mask);
        var small = torch.randn([batch, length, model], generator: generator).requires_grad_(true);
        var wide = torch.randn([batch, length, hidden], generator: generator).requires_grad_(true);
        var scores = torch.randn([batch, heads, length, length], generator: generator).requires_grad_(true);
        var hiddenMask = padding.unsqueeze(-1);
        var wideConst = torch.randn([batch, length, hidden], generator: generator);
        var wideDraws = torch.rand([batch, length, hidden], generator: generator);
        using var tenth = 0.1.ToScalar();
        var wideDropped = wideDraws.lt(tenth);
        void Back(torch.Tensor y) => torch.autograd.grad([y.sum()], [y.requires_grad ? FindLeaf(y) : y]);
        torch.Tensor FindLeaf(torch.Tensor y) => y.shape[^1] == hidden ? wide : y.shape[^1] == model ? small : scores;
        using var mha = torch.nn.MultiheadAttention(model, heads, dropout);
        mha.load_state_dict(Tree.Flatten(post.SelfAttn).ToDictionary(leaf => leaf.Path.Replace('/', '.'), leaf => leaf.Value), strict: true);
        mha.train();
        var leaves = Tree.Leaves(post).Select(l => l.detach().requires_grad_(true)).ToArray();
        var watched = Tree.Unflatten(post, leaves);
        (string Name, Action Step)[] ways =
        [
            ("peer forward+backward", () => torch.autograd.grad([peer.call(xFirst, null, padding).sum()], peer.parameters().ToArray())),
            ("ours forward+backward (ValueAndGrad)", () => Autodiff.ValueAndGrad(p => TransformerBlock.Apply(p, sequence, allowed, positions, true, generator).Values.sum(), post)),
            ("ours forward+backward (raw grad)", () => torch.autograd.grad([TransformerBlock.Apply(watched, sequence, allowed, positions, true, generator).Values.sum()], leaves)),
            ("peer forward (no grad)", () => { using var _ = torch.no_grad(); peer.call(xFirst, null, padding); }),
            ("ours forward (no grad)", () => { using var _ = torch.no_grad(); TransformerBlock.Apply(post, sequence, allowed, positions, true, generator); }),
            ("peer attention f+b", () => torch.autograd.grad([mha.call(xFirst, xFirst, xFirst, padding, false, null).Item1.sum()], mha.parameters().ToArray())),
            ("ours attention f+b", () => torch.autograd.grad([TransformerAttention.Self(watched.SelfAttn, sequence, allowed, positions, dropout, true, generator).Values.sum()], [.. Tree.Leaves(watched.SelfAttn)])),
            ("peer attention fwd", () => { using var _ = torch.no_grad(); mha.call(xFirst, xFirst, xFirst, padding, false, null); }),
            ("ours attention fwd", () => { using var _ = torch.no_grad(); TransformerAttention.Self(post.SelfAttn, sequence, allowed, positions, dropout, true, generator); }),
            ("dropout ours [B,L,hidden] f+b", () => Back(Dropout.Apply(wide, dropout, true, generator))),
            ("dropout libtorch [B,L,hidden] f+b", () => Back(torch.nn.functional.dropout(wide, dropout, true))),
            ("dropout bernoulli(gen) [B,L,hidden] f+b", () => { using var s = (1 / (1 - dropout)).ToScalar(); var keep = torch.empty_like(wide).bernoulli_(1 - dropout, generator); Back(wide.mul(keep.mul_(s))); }),
            ("dropout ours [B,L,model] f+b", () => Back(Dropout.Apply(small, dropout, true, generator))),
            ("dropout libtorch [B,L,model] f+b", () => Back(torch.nn.functional.dropout(small, dropout, true))),
            ("dropout ours scores f+b", () => Back(Dropout.Apply(scores, dropout, true, generator))),
            ("zero padding [B,L,model] f+b", () => Back(small.masked_fill(hiddenMask, Scalars.Zero))),
            ("rand f32 [B,L,hidden]", () => torch.rand(wide.shape, dtype: torch.float32, generator: generator)),
            ("bernoulli_ f32 [B,L,hidden]", () => torch.empty(wide.shape).bernoulli_(1 - dropout, generator)),
            ("random_ int32 [B,L,hidden]", () => torch.empty(wide.shape, dtype: torch.int32).random_(0, 65536, generator)),
            ("random_ int64 [B,L,hidden]", () => torch.empty(wide.shape, dtype: torch.int64).random_(0, 65536, generator)),
            ("randint int16 [B,L,hidden]", () => torch.randint(0, 1 << 15, wide.shape, dtype: torch.int16, generator: generator)),
            ("lt [B,L,hidden]", () => { using var r = dropout.ToScalar(); wideDraws.lt(r); }),
            ("ge_ copy [B,L,hidden]", () => { using var r = dropout.ToScalar(); wideDraws.clone().ge_(r); }),
            ("mul scalar [B,L,hidden]", () => { using var r = dropout.ToScalar(); wideConst.mul(r); }),
            ("mul tensor [B,L,hidden]", () => wideConst.mul(wideDraws)),
            ("masked_fill [B,L,hidden]", () => wideConst.masked_fill(wideDropped, Scalars.Zero)),
            ("where [B,L,hidden]", () => torch.where(wideDropped, wideDraws, wideConst)),
            ("to float [B,L,hidden]", () => wideDropped.to(torch.float32)),
            ("relu [B,L,hidden] f+b", () => Back(torch.nn.functional.relu(wide))),
            ("layer norm [B,L,model] f+b", () => Back(torch.nn.functional.layer_norm(small, [model], post.Norm1.Weight, post.Norm1.Bias))),
        ];
        var times = ways.Select(_ => new List<double>()).ToArray();
        for (var round = -2; round < rounds; round++)
            for (var i = 0; i < ways.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                for (var step = 0; step < steps; step++)
                {
                    using var stepScope = torch.NewDisposeScope();
                    ways[i].Step();
                }
                if (round >= 0) times[i].Add(watch.Elapsed.TotalMilliseconds / steps);
            }
        foreach (var (way, i) in ways.Select((w, i) => (w, i)))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{way.Name,-45} {times[i].Order().ElementAt(times[i].Count / 2),10:F2} ms"));
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }
}
