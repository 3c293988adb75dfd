using FsCheck.Xunit;
using Functional.Core;
using Functional.Models.Titles;
using Functional.Onnx;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop.Onnx;

/// <summary>
/// The title model's two exported graphs agree with libtorch's incremental decoding to 1e-5: the encoder's prepared
/// article (<see cref="IncrementalDecoder.PrepareArticles"/> after <see cref="TitleEncoder.Apply"/>) and one decoder
/// step (<see cref="IncrementalDecoder.Step"/>: log-probabilities, next state, and the same most-attended unknown
/// position), over random sizes, 1–2 layers, padded articles holding unknown characters, random states.
/// </summary>
public sealed class TitleModelOnnxTests
{
    [Property(MaxTest = 25)]
    public void The_encoder_and_one_decoder_step_agree_with_libtorch(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var generator = Rng(seed);
        int vocabulary = random.Next(5, 15), batch = random.Next(1, 4), length = random.Next(1, 8);
        var options = new TitleModelOptions(random.Next(1, 7), random.Next(1, 5), random.Next(1, 3), random.Next(1, 6), random.Next(1, 3), random.Next(1, 8), 0, 20, 10);
        var parameters = TitleModel.Init(generator, vocabulary, options, Cpu);
        parameters = parameters with
        {
            CopyPrior = new CopyPriorParams(torch.randn([vocabulary], generator: generator), torch.randn([vocabulary], generator: generator)),
            CopyGate = new LinearParams(torch.randn(parameters.CopyGate.Weight.shape, generator: generator), torch.randn([1], generator: generator)),
        };
        var lengths = Enumerable.Range(0, batch).Select(_ => random.Next(1, length + 1)).ToArray();
        var article = torch.tensor(Enumerable.Range(0, batch).SelectMany(b => Enumerable.Range(0, length).Select(t => t < lengths[b] ? (long)random.Next(1, vocabulary) : 0L)).ToArray(), [batch, length]);
        var what = $"vocabulary {vocabulary} {options} lengths [{string.Join(", ", lengths)}] of {length}";

        var encoded = TitleEncoder.Apply(parameters, article, training: false, 0, generator);
        var prepared = IncrementalDecoder.PrepareArticles(parameters, encoded);
        var encoder = OrtRunner.Run(TitleModelOnnx.Encoder(parameters).ToModel(), ("article", article));
        var ours = new Dictionary<string, torch.Tensor>
        {
            ["keys"] = prepared.Keys, ["keyBias"] = prepared.KeyBias, ["values"] = prepared.Values, ["constant"] = prepared.Constant,
            ["outputBias"] = prepared.OutputBias,
        };
        foreach (var (name, expected) in ours) OrtRunner.Agrees(expected, encoder[name], $"{what}: {name}");
        Assert.True(Same(prepared.Ids, encoder["ids"]), $"{what}: ids");
        Assert.True(Same(prepared.Known, encoder["known"]), $"{what}: known");

        var state = new LstmState(torch.randn([options.DecoderLayers, batch, options.DecoderHidden], generator: generator), torch.randn([options.DecoderLayers, batch, options.DecoderHidden], generator: generator));
        var previous = torch.randint(1, vocabulary, [batch], generator: generator);
        var step = IncrementalDecoder.Step(IncrementalDecoder.Prepare(parameters), prepared, previous, state);
        var inputs = TitleModelOnnx.ArticleNames.Select(name => (name, encoder[name])).Concat([("previous", previous), ("hidden", state.Hidden), ("cell", state.Cell)]).ToArray();
        var result = OrtRunner.Run(TitleModelOnnx.DecoderStep(parameters).ToModel(), inputs);
        OrtRunner.Agrees(step.LogProbabilities, result["logProbabilities"], $"{what}: log-probabilities");
        OrtRunner.Agrees(step.State.Hidden, result["nextHidden"], $"{what}: hidden");
        OrtRunner.Agrees(step.State.Cell, result["nextCell"], $"{what}: cell");
        Assert.True(Same(step.UnknownSource, result["source"]), $"{what}: source ours [{string.Join(", ", step.UnknownSource.data<long>().ToArray())}], ORT [{string.Join(", ", result["source"].data<long>().ToArray())}]");
    }

    static bool Same(torch.Tensor expected, torch.Tensor actual) =>
        expected.shape.SequenceEqual(actual.shape) && expected.dtype == actual.dtype && expected.eq(actual).all().item<bool>();
}
