using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// Our <see cref="TransformerBlock"/> against TorchSharp's <c>nn.TransformerEncoderLayer</c> (libtorch's C++ module:
/// post-norm, sequence-first) on the same weights (loaded by name), inputs and key-padding masks: <c>dotnet run --project
/// Benchmarks -c Release -- transformer-race</c> times a training forward and backward pass (gradients of every
/// parameter) of each, in interleaved rounds, and prints the median times, their ratio and the load average before and
/// after. TorchSharp's layer is post-norm only (libtorch's C++ options have no <c>norm_first</c>): ours post-norm is
/// timed against it, ours pre-norm against <see cref="TransformerPreNormPeer"/> (TorchSharp's own modules composed as
/// PyTorch's <c>norm_first=True</c> layer), because a pre-norm block does more work than a post-norm one when the input
/// needs no gradient (the first norm's gradient needs the in-projection's input gradient). Options:
/// <c>--rounds N</c> (15), <c>--steps N</c> (5), <c>--batch N</c> (32), <c>--length N</c> (64), <c>--model N</c> (256),
/// <c>--heads N</c> (4), <c>--hidden N</c> (1024), <c>--dropout R</c> (0.1), <c>--threads N</c> (1), <c>--input-grad 1</c>
/// (every side also computes the gradient of the input, as every block but the first of a stack does), <c>--only I</c> (row I
/// alone, ratio 1, for an outside profiler such as <c>perf record</c>).
/// </summary>
public static class TransformerRace
{
    /// <summary>Runs the race; returns 0.</summary>
    public static int Run(IReadOnlyList<string> arguments)
    {
        var options = new Arguments(arguments);
        var rounds = options.Integer("rounds", 15);
        var steps = options.Integer("steps", 5);
        var batch = options.Integer("batch", 32);
        var length = options.Integer("length", 64);
        var model = options.Integer("model", 256);
        var heads = options.Integer("heads", 4);
        var hidden = options.Integer("hidden", 1024);
        var dropout = options.Number("dropout", 0.1);
        var threads = options.Integer("threads", 1);
        var profile = options.Integer("profile", 0) != 0;
        var inputGrad = options.Integer("input-grad", 0) != 0;
        var only = options.Integer("only", -1);
        options.CheckAllUsed();
        torch.set_num_threads(threads);
        Say($"transformer race: one block's training forward + backward, batch {batch}, length {length}, model {model}, {heads} heads, hidden {hidden}, dropout {dropout}, input gradient {(inputGrad ? "too" : "not")}, {torch.get_num_threads()} libtorch thread(s), median of {rounds} rounds of {steps} steps");
        Say($"load before: {File.ReadAllText("/proc/loadavg").Trim()}");

        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(1);
        var settings = TransformerBlockSettings.Default with { NormFirst = false, Activation = Activation.Relu, Dropout = dropout, AttentionDropout = dropout };
        var post = TransformerBlock.Init(generator, model, heads, hidden, false, null, settings, torch.CPU);
        var pre = post with { Settings = settings with { NormFirst = true } };
        using var peer = torch.nn.TransformerEncoderLayer(model, heads, hidden, dropout);
        peer.load_state_dict(Tree.Flatten(post).ToDictionary(leaf => leaf.Path.Replace('/', '.'), leaf => leaf.Value), strict: true);
        peer.train();
        using var prePeer = new TransformerPreNormPeer(model, heads, hidden, dropout);
        prePeer.Load(Tree.Flatten(pre).ToDictionary(leaf => leaf.Path.Replace('/', '.'), leaf => leaf.Value));

        var lengths = torch.randint(length / 2, length + 1, [batch], generator: generator);
        var mask = Masks.FromLengths(lengths, length);
        var x = torch.randn([batch, length, model], generator: generator).requires_grad_(inputGrad);
        var weights = torch.randn([batch, length, model], generator: generator).masked_fill(mask.logical_not().unsqueeze(-1), Scalars.Zero);
        var allowed = AttentionMasks.Padding(mask, mask);
        var positions = Ranges.Of(length, torch.CPU).unsqueeze(0).expand(batch, length).contiguous();
        var padding = mask.logical_not();
        var xFirst = x.detach().transpose(0, 1).contiguous().requires_grad_(inputGrad);
        var weightsFirst = weights.transpose(0, 1).contiguous();
        var sequence = new MaskedSequence(x, mask);

        torch.Tensor[] With(IEnumerable<torch.Tensor> parameters, torch.Tensor input) => inputGrad ? [.. parameters, input] : [.. parameters];
        var peerParameters = With(peer.parameters(), xFirst);
        var prePeerParameters = With(prePeer.Parameters(), xFirst);
        // Ours through Autodiff.ValueAndGrad (as a training step calls it); with --input-grad the input's gradient is
        // asked in the same backward pass by a leaf the loss closes over.
        void Ours(TransformerBlockParams parameters)
        {
            if (!inputGrad)
            {
                Autodiff.ValueAndGrad(p => TransformerBlock.Apply(p, sequence, allowed, positions, true, generator).Values.mul(weights).sum(), parameters);
                return;
            }
            var leaves = Tree.Leaves(parameters).Select(leaf => leaf.detach().requires_grad_(true)).ToArray();
            var loss = TransformerBlock.Apply(Tree.Unflatten(parameters, leaves), sequence, allowed, positions, true, generator).Values.mul(weights).sum();
            torch.autograd.grad([loss], [.. leaves, x]);
        }
        if (dropout == 0)
            using (torch.no_grad())
            {
                // The peers compute what ours does (at real tokens; ours zeroes padded ones): a wrong peer would make the race meaningless.
                var real = mask.transpose(0, 1).unsqueeze(-1);
                double Gap(torch.Tensor peerOutput, TransformerBlockParams ours) =>
                    peerOutput.sub(TransformerBlock.Apply(ours, sequence, allowed, positions, true, generator).Values.transpose(0, 1)).abs().mul(real).max().item<float>();
                Say($"largest difference at real tokens: post-norm {Gap(peer.call(xFirst, null, padding), post):E1}, pre-norm {Gap(prePeer.Forward(xFirst, padding), pre):E1}");
            }
        // Each of ours is timed against the peer of its norm placement (the index of that peer's row).
        (string Name, Action Step, int Peer)[] ways =
        [
            ("TorchSharp nn.TransformerEncoderLayer", () => torch.autograd.grad([peer.call(xFirst, null, padding).mul(weightsFirst).sum()], peerParameters), 0),
            ("ours, post-norm", () => Ours(post), 0),
            ("TorchSharp modules, pre-norm", () => torch.autograd.grad([prePeer.Forward(xFirst, padding).mul(weightsFirst).sum()], prePeerParameters), 2),
            ("ours, pre-norm", () => Ours(pre), 2),
        ];
        if (profile) ways = [.. ways, .. AttentionKernels(batch, heads, length, model / heads, allowed, generator).Select(k => (k.Name, k.Step, 0))];
        if (only >= 0) ways = [ways[only] with { Peer = 0 }]; // one side alone, for an outside profiler (perf record)
        var times = ways.Select(_ => new List<double>()).ToArray();
        for (var round = -2; round < rounds; round++) // two warm-up rounds
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
        Say($"{"",-40} {"median ms",10} {"TorchSharp / this",18}");
        for (var i = 0; i < ways.Length; i++)
            Say($"{ways[i].Name,-40} {Median(times[i]),10:F2} {Median(times[ways[i].Peer]) / Median(times[i]),18:F3}");
        Say($"ratios of 1 or more: ours is at least as fast. load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>
    /// With <c>--profile 1</c>: the attention kernel alone (forward and backward of q, k, v [batch, heads, length, d]) as
    /// the fused call with a Bool mask, with an additive float mask, and written out (scores, masked softmax, weighted sum).
    /// </summary>
    static (string Name, Action Step)[] AttentionKernels(int batch, int heads, int length, int width, torch.Tensor allowed, torch.Generator generator)
    {
        var q = torch.randn([batch, heads, length, width], generator: generator).requires_grad_(true);
        var k = torch.randn([batch, heads, length, width], generator: generator).requires_grad_(true);
        var v = torch.randn([batch, heads, length, width], generator: generator).requires_grad_(true);
        var boolMask = allowed.unsqueeze(1);
        using var lowest = float.NegativeInfinity.ToScalar();
        var additive = torch.zeros([batch, 1, length, length]).masked_fill(boolMask.logical_not(), lowest);
        var scale = torch.tensor((float)Math.Sqrt(width)); // a tensor constant: the steps below run after this method returns
        void Backward(torch.Tensor output) => torch.autograd.grad([output.sum()], [q, k, v]);
        return
        [
            ("kernel: sdpa, Bool mask", () => Backward(torch.nn.functional.scaled_dot_product_attention(q, k, v, boolMask))),
            ("kernel: sdpa, float mask", () => Backward(torch.nn.functional.scaled_dot_product_attention(q, k, v, additive))),
            ("kernel: written out", () => Backward(Masks.Softmax(q.matmul(k.transpose(-2, -1)).div(scale), boolMask, -1).matmul(v))),
            ("kernel: masked sdpa (ours)", () => Backward(MaskedSdpa.Apply(q, k, v, allowed, 0, false, generator))),
        ];
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
