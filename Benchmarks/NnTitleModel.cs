using Functional.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Functional.Models.Titles;

namespace Functional.Benchmarks;

/// <summary>
/// The title model written the usual TorchSharp way, as the race's peer: nn.Embedding, nn.LSTM on packed sequences,
/// nn.Linear, and the same attention, max-pool, copy-prior, copy-gate mixture and masked negative log-likelihood math,
/// with its weights copied from
/// a <see cref="TitleModelParams"/>.
/// </summary>
sealed class NnTitleModel : nn.Module
{
    readonly TorchSharp.Modules.Embedding embedding;
    readonly LSTM encoder;
    readonly LSTM decoder;
    readonly TorchSharp.Modules.Linear query;
    readonly TorchSharp.Modules.Linear hidden;
    readonly TorchSharp.Modules.Linear output;
    readonly TorchSharp.Modules.Linear gate;
    readonly Parameter scale;
    readonly Parameter bias;

    public NnTitleModel(TitleModelParams p, TitleModelOptions options) : base(nameof(NnTitleModel))
    {
        var vocabulary = (int)p.Embedding.Weight.shape[0];
        embedding = nn.Embedding(vocabulary, options.EmbeddingSize);
        encoder = nn.LSTM(options.EmbeddingSize, options.EncoderHidden, options.EncoderLayers, batchFirst: true, bidirectional: true);
        decoder = nn.LSTM(options.EmbeddingSize, options.DecoderHidden, options.DecoderLayers, batchFirst: true);
        query = nn.Linear(options.DecoderHidden, 2 * options.EncoderHidden, hasBias: false);
        hidden = nn.Linear(options.DecoderHidden + 4 * options.EncoderHidden, options.OutputHidden);
        output = nn.Linear(options.OutputHidden, vocabulary);
        gate = nn.Linear(options.DecoderHidden + 4 * options.EncoderHidden, 1);
        scale = new Parameter(p.CopyPrior.Scale.clone());
        bias = new Parameter(p.CopyPrior.Bias.clone());
        RegisterComponents();
        using var noGradient = no_grad();
        embedding.weight!.copy_(p.Embedding.Weight);
        CopyLstm(encoder, p.Encoder);
        CopyLstm(decoder, p.Decoder);
        query.weight.copy_(p.AttentionQuery.Weight);
        hidden.weight.copy_(p.Hidden.Weight);
        hidden.bias!.copy_(p.Hidden.Bias!);
        output.weight.copy_(p.Output.Weight);
        output.bias!.copy_(p.Output.Bias!);
        gate.weight.copy_(p.CopyGate.Weight);
        gate.bias!.copy_(p.CopyGate.Bias!);
    }

    static void CopyLstm(LSTM module, LstmParams p)
    {
        var named = module.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        for (var k = 0; k < p.Layers.Length; k++)
            foreach (var (cell, suffix) in p.Layers[k].Backward is { } backward ? new[] { (p.Layers[k].Forward, ""), (backward, "_reverse") } : [(p.Layers[k].Forward, "")])
            {
                named[$"weight_ih_l{k}{suffix}"].copy_(cell.InputWeight);
                named[$"weight_hh_l{k}{suffix}"].copy_(cell.HiddenWeight);
                named[$"bias_ih_l{k}{suffix}"].copy_(cell.InputBias);
                named[$"bias_hh_l{k}{suffix}"].copy_(cell.HiddenBias);
            }
    }

    static Tensor RunPacked(LSTM lstm, Tensor values, Tensor mask)
    {
        var lengths = mask.sum(1, type: ScalarType.Int64);
        var packed = nn.utils.rnn.pack_padded_sequence(values, lengths, batch_first: true, enforce_sorted: false);
        var (result, _, _) = lstm.call(packed);
        var (padded, _) = nn.utils.rnn.pad_packed_sequence(result, batch_first: true, total_length: values.shape[1]);
        return padded;
    }

    static readonly Scalar LowestFloat = float.MinValue.ToScalar();
    static readonly Scalar MinusInfinity = float.NegativeInfinity.ToScalar();
    static readonly Scalar LeakySlope = 0.2.ToScalar();
    static readonly Scalar Floor = 1e-12.ToScalar();

    /// <summary>The mean cross-entropy over the real target tokens.</summary>
    public Tensor Loss(TitleBatch batch)
    {
        var articleMask = batch.ArticleMask;
        var memory = RunPacked(encoder, embedding.call(batch.Article), articleMask);
        var summary = memory.masked_fill(articleMask.logical_not().unsqueeze(-1), LowestFloat).amax([1]);
        var present = zeros([batch.Article.shape[0], scale.shape[0]]).scatter(1, batch.Article, ones(batch.Article.shape)).index_fill(1, tensor(new long[] { 0 }), Scalars.Zero);
        var prior = (present * scale).add(bias, Scalars.One);
        var titleMask = batch.TargetMask;
        var states = RunPacked(decoder, embedding.call(batch.DecoderInput), titleMask);
        var q = query.call(states);
        using var root = Math.Sqrt(q.shape[2]).ToScalar();
        var scores = q.matmul(memory.transpose(1, 2)).div(root);
        var weights = scores.masked_fill(articleMask.logical_not().unsqueeze(1), MinusInfinity).softmax(-1);
        var context = weights.matmul(memory);
        var features = cat([states, context, summary.unsqueeze(1).expand(-1, states.shape[1], -1)], 2);
        var writing = output.call(hidden.call(features).leaky_relu(LeakySlope)).add(prior.unsqueeze(1), Scalars.One).div(Scalars.Two).softmax(-1);
        var write = gate.call(features).sigmoid();
        var copying = zeros_like(writing).scatter_add(2, batch.Article.unsqueeze(1).expand(-1, states.shape[1], -1), weights);
        var probabilities = (write * writing).add(write.neg().add(Scalars.One, Scalars.One) * copying, Scalars.One);
        return nn.functional.nll_loss(probabilities[titleMask].clamp_min(Floor).log(), batch.Target[titleMask]);
    }
}
