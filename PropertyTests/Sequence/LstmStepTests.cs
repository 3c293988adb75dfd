using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Sequences;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class LstmStepTests
{
    [Property(MaxTest = 60)]
    public void Stepping_from_zeros_gives_what_Lstm_Apply_gives_at_every_position_and_its_final_states(Batch batch, Dim length, Dim inputs, Dim hidden, bool twoLayers, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var parameters = Tree.Map(Lstm.Init(generator, inputs, hidden, twoLayers ? 2 : 1, bidirectional: false, Cpu), t => t.to(torch.float64));
        var x = Normal64(generator, batch, length, inputs);
        var full = Lstm.Apply(parameters, x, torch.ones([batch, length], dtype: torch.@bool));

        var state = LstmStep.Zeros(parameters, batch);
        for (var t = 0; t < length; t++)
        {
            var step = LstmStep.Apply(parameters, x[.., t], state);
            Assert.True(step.Output.allclose(full.Output.Values[.., t], 1e-10, 1e-12), $"position {t}");
            state = step.State;
        }
        Assert.True(state.Hidden.allclose(full.Hidden, 1e-10, 1e-12));
        Assert.True(state.Cell.allclose(full.Cell, 1e-10, 1e-12));
    }

    [Fact]
    public void A_bidirectional_LSTM_or_a_state_of_the_wrong_shape_is_refused_with_the_layer_named()
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(1);
        var bidirectional = Lstm.Init(generator, 3, 4, 1, bidirectional: true, Cpu);
        var error = Assert.Throws<LayerInputException>(() => LstmStep.Zeros(bidirectional, 2));
        Assert.Contains("LstmStep", error.Message);
        var unidirectional = Lstm.Init(generator, 3, 4, 1, bidirectional: false, Cpu);
        var wrong = Assert.Throws<LayerInputException>(() => LstmStep.Apply(unidirectional, torch.zeros(2, 3), LstmStep.Zeros(unidirectional, 5)));
        Assert.Contains("[1, 2, 4]", wrong.Message);
    }
}
