using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using static TorchSharp.torch;
using Functional.Models.Titles;
using Functional.Training;

namespace Functional.Benchmarks;

/// <summary>
/// Where the title model's training step spends its time: <c>dotnet run --project Benchmarks -c Release --
/// titles-profile [rounds] [name filters]</c>. Times the parts of our step (forward, forward and backward, the whole step, the
/// encoder LSTM, the loss and accuracy) beside the same parts of the nn-module peer, in alternating rounds on the
/// race's batch; prints the median of each.
/// </summary>
public static class TitlesProfile
{
    const int Vocabulary = TitlesRace.Vocabulary, Batch = TitlesRace.Batch, Seed = TitlesRace.Seed;

    /// <summary>Runs the profile; the optional argument is the number of rounds (default 7).</summary>
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
        Console.WriteLine($"torch threads: {get_num_threads()}; load: {File.ReadAllText("/proc/loadavg").Trim()}");
        var options = TitleModelOptions.Default with { Dropout = 0 };
        using var generator = new Generator(Seed);
        var parameters = TitleModel.Init(generator, Vocabulary, options, CPU);
        using var batch = TitleBatches.Collate(TitlesRace.RandomPairs(), 1);
        using var peer = new NnTitleModel(parameters, options);
        var optimizer = Optimizer.FusedAdam(1e-3);
        var model = TitleModelLoss.Of(options);
        var state = TrainState.Init(parameters, NoState.Value, optimizer, Seed);
        var torchOptimizer = optim.Adam(peer.parameters(), 1e-3);
        var memoryWidth = 2 * options.EncoderHidden;
        var titleLength = batch.DecoderInput.shape[1];
        var articleLength = batch.Article.shape[1];
        Tensor Leaf(long[] shape) => randn(shape, generator: generator).requires_grad_(true);
        var articleValues = Leaf([Batch, articleLength, options.EmbeddingSize]);
        var titleValues = Leaf([Batch, titleLength, options.EmbeddingSize]);
        var memory = Leaf([Batch, articleLength, memoryWidth]);
        var states = Leaf([Batch, titleLength, options.DecoderHidden]);
        var summary = Leaf([Batch, memoryWidth]);
        var prior = Leaf([Batch, Vocabulary]);
        var realIds = batch.Article.masked_fill(batch.ArticleMask.logical_not(), Scalars.Zero);
        using var leakySlope = 0.2.ToScalar();
        using var floor = 1e-12.ToScalar();
        using var minusInfinity = float.NegativeInfinity.ToScalar();
        var lstmWeights = Tree.Map(parameters.Encoder, w => w.detach().requires_grad_(true));
        var decoderWeights = Tree.Map(parameters.Decoder, w => w.detach().requires_grad_(true));
        var head = Tree.Map(parameters, w => w.detach().requires_grad_(true));
        using var peerEncoder = nn.LSTM(options.EmbeddingSize, options.EncoderHidden, 1, batchFirst: true, bidirectional: true);
        using var peerEmbedding = nn.Embedding(Vocabulary, options.EmbeddingSize);
        using var peerDecoder = nn.LSTM(options.EmbeddingSize, options.DecoderHidden, 1, batchFirst: true);
        Tensor Packed(TorchSharp.Modules.LSTM lstm, Tensor values, Tensor mask)
        {
            var packed = nn.utils.rnn.pack_padded_sequence(values, mask.sum(1, type: ScalarType.Int64), batch_first: true, enforce_sorted: false);
            var (result, _, _) = lstm.call(packed);
            return nn.utils.rnn.pad_packed_sequence(result, batch_first: true, total_length: values.shape[1]).Item1;
        }
        // Our head as TitleDecoder's mixture and TitleLoss compute it (rows first), on given LSTM outputs.
        Tensor OurTail()
        {
            var query = Linear.Apply(head.AttentionQuery, states);
            var attention = Attention.ScaledDotProduct(query, batch.TargetMask, memory, memory, batch.ArticleMask, causal: false);
            var features = cat([states, attention.Output.Values, summary.unsqueeze(1).expand(-1, titleLength, -1)], 2);
            var hidden = Linear.Apply(head.Hidden, features).leaky_relu(leakySlope);
            var writing = Linear.Apply(head.Output, hidden).add(prior.unsqueeze(1), Scalars.One).div(Scalars.Two).softmax(-1);
            var write = Linear.Apply(head.CopyGate, features).sigmoid().masked_fill(batch.ArticleMask.any(1).logical_not().view(-1, 1, 1), Scalars.One);
            var copying = zeros_like(writing).scatter_add(2, realIds.unsqueeze(1).expand(-1, titleLength, -1), attention.Weights);
            var probabilities = (write * writing).add(write.neg().add(Scalars.One, Scalars.One) * copying, Scalars.One);
            var rows = Masks.RealRows(probabilities, batch.TargetMask).clamp_min(floor).log();
            var targets = Masks.RealRows(batch.Target, batch.TargetMask);
            var count = batch.TargetMask.sum().to(rows.dtype).clamp_min(Scalars.One);
            var loss = -(rows.gather(1, targets.unsqueeze(1)).sum() / count);
            using (no_grad()) { var accuracy = rows.argmax(-1).eq(targets).sum().to(rows.dtype) / count; }
            return loss;
        }
        Tensor PeerTail()
        {
            var q = nn.functional.linear(states, head.AttentionQuery.Weight);
            using var root = Math.Sqrt(q.shape[2]).ToScalar();
            var scores = q.matmul(memory.transpose(1, 2)).div(root);
            var weights = scores.masked_fill(batch.ArticleMask.logical_not().unsqueeze(1), minusInfinity).softmax(-1);
            var context = weights.matmul(memory);
            var features = cat([states, context, summary.unsqueeze(1).expand(-1, titleLength, -1)], 2);
            var hidden = nn.functional.linear(features, head.Hidden.Weight, head.Hidden.Bias).leaky_relu(leakySlope);
            var writing = nn.functional.linear(hidden, head.Output.Weight, head.Output.Bias).add(prior.unsqueeze(1), Scalars.One).div(Scalars.Two).softmax(-1);
            var write = nn.functional.linear(features, head.CopyGate.Weight, head.CopyGate.Bias).sigmoid();
            var copying = zeros_like(writing).scatter_add(2, batch.Article.unsqueeze(1).expand(-1, titleLength, -1), weights);
            var probabilities = (write * writing).add(write.neg().add(Scalars.One, Scalars.One) * copying, Scalars.One);
            return nn.functional.nll_loss(probabilities[batch.TargetMask].clamp_min(floor).log(), batch.Target[batch.TargetMask]);
        }

        var parts = new (string Name, Action Run)[]
        {
            ("ours: forward (no grad)", () => { using var s = NewDisposeScope(); using var g = no_grad(); TitleLoss.Apply(parameters, batch, options, false, generator, Capture.None); }),
            ("peer: forward (no grad)", () => { using var s = NewDisposeScope(); using var g = no_grad(); peer.Loss(batch); }),
            ("ours: value and gradient", () => { using var s = NewDisposeScope(); Autodiff.ValueAndGrad(p => TitleLoss.Apply(p, batch, options, true, generator, Capture.None).Loss, parameters); }),
            ("peer: forward + backward", () => { using var s = NewDisposeScope(); peer.zero_grad(); peer.Loss(batch).backward(); }),
            ("ours: TrainingSteps.Step", () => { var next = TrainingSteps.Step(model, optimizer, state, batch).State; TrainState.Dispose(state); state = next; }),
#pragma warning disable FT0003 // the torch.optim peer: Adam.step makes its hyperparameters temporary Scalars
            ("peer: step", () => { using var s = NewDisposeScope(); torchOptimizer.zero_grad(); peer.Loss(batch).backward(); torchOptimizer.step(); }),
#pragma warning restore FT0003
            ("ours: encoder Lstm forward + backward", () => { using var s = NewDisposeScope(); Lstm.Apply(lstmWeights, articleValues, batch.ArticleMask).Output.Values.sum().backward(); }),
            ("peer: encoder nn.LSTM forward + backward", () => { using var s = NewDisposeScope(); Packed(peerEncoder, articleValues, batch.ArticleMask).sum().backward(); }),
            ("ours: encoder Lstm forward (no grad)", () => { using var s = NewDisposeScope(); using var g = no_grad(); Lstm.Apply(lstmWeights, articleValues, batch.ArticleMask); }),
            ("peer: encoder nn.LSTM forward (no grad)", () => { using var s = NewDisposeScope(); using var g = no_grad(); Packed(peerEncoder, articleValues, batch.ArticleMask); }),
            ("construct nn.LSTM(128, 64, bidirectional) x10", () => { for (var i = 0; i < 10; i++) { using var m = nn.LSTM(options.EmbeddingSize, options.EncoderHidden, 1, batchFirst: true, bidirectional: true); } }),
            ("ours: decoder Lstm forward + backward", () => { using var s = NewDisposeScope(); Lstm.Apply(decoderWeights, titleValues, batch.TargetMask).Output.Values.sum().backward(); }),
            ("peer: decoder nn.LSTM forward + backward", () => { using var s = NewDisposeScope(); Packed(peerDecoder, titleValues, batch.TargetMask).sum().backward(); }),
            ("ours: head forward + backward", () => { using var s = NewDisposeScope(); OurTail().backward(); }),
            ("peer: head forward + backward", () => { using var s = NewDisposeScope(); PeerTail().backward(); }),
            ("ours: embeddings forward + backward", () => { using var s = NewDisposeScope(); MaskedEmbedding.Apply(head.Embedding, batch.Article).Values.sum().add(MaskedEmbedding.Apply(head.Embedding, batch.DecoderInput).Values.sum(), Scalars.One).backward(); }),
            ("peer: embeddings forward + backward", () => { using var s = NewDisposeScope(); peerEmbedding.call(batch.Article).sum().add(peerEmbedding.call(batch.DecoderInput).sum(), Scalars.One).backward(); }),
        };
        if (args.Length > 1) parts = parts.Where(part => args[1..].Any(filter => part.Name.Contains(filter, StringComparison.Ordinal))).ToArray();
        foreach (var part in parts) part.Run();
        var times = parts.Select(_ => new double[rounds]).ToArray();
        for (var round = 0; round < rounds; round++)
            for (var i = 0; i < parts.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                parts[i].Run();
                times[i][round] = watch.Elapsed.TotalMilliseconds;
            }
        for (var i = 0; i < parts.Length; i++)
        {
            Array.Sort(times[i]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{parts[i].Name,-50} median {times[i][rounds / 2],7:F1} ms  fastest {times[i][0],7:F1} ms"));
        }
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }
}
