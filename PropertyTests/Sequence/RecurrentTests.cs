using FsCheck.Xunit;
using Functional.Core;
using Functional.PropertyTests.Layers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Masking.MaskTesting;

namespace Functional.PropertyTests.Sequences;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class RecurrentTests
{
    /// <summary>An LSTM or a GRU as one (params, values, mask) layer with its final states; the number of layers is 1 or 2.</summary>
    sealed record Net(bool IsLstm, object Parameters)
    {
        public static Net Make(bool isLstm, torch.Generator generator, int inputs, int hidden, int layers, bool bidirectional) =>
            new(isLstm, isLstm ? Lstm.Init(generator, inputs, hidden, layers, bidirectional, Cpu) : Gru.Init(generator, inputs, hidden, layers, bidirectional, Cpu));

        public (MaskedSequence Output, torch.Tensor Hidden, torch.Tensor? Cell) Apply(object parameters, torch.Tensor x, torch.Tensor mask)
        {
            if (IsLstm)
            {
                var r = Lstm.Apply((LstmParams)parameters, x, mask);
                return (r.Output, r.Hidden, r.Cell);
            }
            var g = Gru.Apply((GruParams)parameters, x, mask);
            return (g.Output, g.Hidden, null);
        }

        public RecurrentLayerParams[] Layers => IsLstm ? ((LstmParams)Parameters).Layers : ((GruParams)Parameters).Layers;

        public MaskInvarianceReport Check(MaskInvarianceOptions options) => IsLstm
            ? MaskInvariance.Check((LstmParams p, torch.Tensor x, torch.Tensor m) => Lstm.Apply(p, x, m).Output, (LstmParams)Parameters, options)
            : MaskInvariance.Check((GruParams p, torch.Tensor x, torch.Tensor m) => Gru.Apply(p, x, m).Output, (GruParams)Parameters, options);

        public override string ToString() => IsLstm ? "LSTM" : "GRU";
    }

    static int Layers(bool two) => two ? 2 : 1;

    [Property(MaxTest = 60)]
    public void LSTM_and_GRU_pass_the_mask_invariance_check(bool isLstm, Dim inputs, Dim hidden, bool twoLayers, bool bidirectional, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var net = Net.Make(isLstm, Rng(seed), inputs, Math.Min(hidden, 3), Layers(twoLayers), bidirectional);
        var report = net.Check(MaskInvarianceOptions.Default with { Cases = 3, Features = inputs, Seed = seed, MaxLength = 5 });
        Assert.True(report.Passed, $"{net}: {report}");
    }

    [Property(MaxTest = 100)]
    public void LSTM_and_GRU_agree_with_nn_LSTM_and_nn_GRU_on_each_row_unpadded(bool isLstm, Batch batch, Dim length, Dim inputs, Dim hidden, bool twoLayers, bool bidirectional, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var layers = Layers(twoLayers);
        var net = Net.Make(isLstm, generator, inputs, hidden, layers, bidirectional);
        var mask = RandomMask(generator, batch, length, holes: false, emptyRow: true);
        var x = Normal(generator, batch, length, inputs);
        var (output, finalHidden, finalCell) = net.Apply(net.Parameters, x, mask);

        using var module = isLstm
            ? (torch.nn.Module)torch.nn.LSTM(inputs, hidden, layers, batchFirst: true, bidirectional: bidirectional)
            : torch.nn.GRU(inputs, hidden, layers, batchFirst: true, bidirectional: bidirectional);
        var named = module.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        foreach (var (layer, k) in net.Layers.Select((l, k) => (l, k)))
            foreach (var (cell, suffix) in layer.Backward is null ? [(layer.Forward, "")] : new[] { (layer.Forward, ""), (layer.Backward, "_reverse") })
            {
                CopyInto(named[$"weight_ih_l{k}{suffix}"], cell.InputWeight);
                CopyInto(named[$"weight_hh_l{k}{suffix}"], cell.HiddenWeight);
                CopyInto(named[$"bias_ih_l{k}{suffix}"], cell.InputBias);
                CopyInto(named[$"bias_hh_l{k}{suffix}"], cell.HiddenBias);
            }
        for (var b = 0; b < batch; b++)
        {
            var n = (int)mask[b].sum().item<long>();
            if (n == 0)
            {
                AssertZero(output.Values[b], "output of an all-padding row");
                AssertZero(finalHidden[.., b], "final state of an all-padding row");
                continue;
            }
            var row = x[b, ..n].unsqueeze(0);
            torch.Tensor expected, expectedHidden;
            torch.Tensor? expectedCell = null;
            if (isLstm) (expected, expectedHidden, expectedCell) = ((TorchSharp.Modules.LSTM)module).forward(row);
            else (expected, expectedHidden) = ((TorchSharp.Modules.GRU)module).forward(row);
            AssertClose(expected[0], output.Values[b, ..n], atol: 1e-5);
            AssertZero(output.Values[b, n..], "padded outputs");
            AssertClose(expectedHidden[.., 0], finalHidden[.., b], atol: 1e-5);
            if (isLstm) AssertClose(expectedCell![.., 0], finalCell![.., b], atol: 1e-5);
        }
    }

    [Property(MaxTest = 100)]
    public void The_backward_half_equals_the_forward_cell_run_on_each_row_reversed(bool isLstm, Batch batch, Dim length, Dim inputs, Dim hidden, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var net = Net.Make(isLstm, generator, inputs, hidden, 1, bidirectional: true);
        var mask = RandomMask(generator, batch, length, holes: false, emptyRow: true);
        var x = Normal(generator, batch, length, inputs);
        var both = net.Apply(net.Parameters, x, mask).Output.Values;

        var backwardCell = net.Layers[0].Backward!;
        object backwardAsForward = isLstm
            ? new LstmParams([new RecurrentLayerParams(backwardCell, null)])
            : new GruParams([new RecurrentLayerParams(backwardCell, null)]);
        var reversed = net.Apply(backwardAsForward, Masks.ReverseValidPrefix(x, mask), mask).Output.Values;
        AssertClose(Masks.ReverseValidPrefix(reversed, mask), both[.., .., (int)hidden..], atol: 1e-6);
    }

    [Property(MaxTest = 100)]
    public void A_mask_with_holes_step_loop_equals_the_fused_run_on_the_rows_with_their_holes_removed_in_values_and_gradients(bool isLstm, Batch batch, Dim length, Dim inputs, Dim hidden, bool bidirectional, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var net = Net.Make(isLstm, generator, inputs, hidden, 1, bidirectional);
        var mask = RandomMask(generator, batch, length, holes: true);
        var x = Normal(generator, batch, length, inputs);
        var holey = net.Apply(net.Parameters, x, mask);
        // Move the real tokens of each row to its front, in order (sort by "is padding", then by position).
        using var positions = ((long)length.Value).ToScalar();
        var order = mask.logical_not().to(torch.int64).mul(positions).add(Ranges.Of(length.Value, mask.device), Scalars.One).argsort(1);
        var compact = x.gather(1, order.unsqueeze(-1).expand(x.shape));
        var prefix = Masks.FromLengths(mask.sum(1), length);
        var packed = net.Apply(net.Parameters, compact, prefix);
        for (var b = 0; b < batch; b++)
            AssertClose(packed.Output.Values[b].index(prefix[b]), holey.Output.Values[b].index(mask[b]), atol: 1e-6);
        AssertClose(packed.Hidden, holey.Hidden, atol: 1e-6);

        // The same loss on both: weights on the real outputs (moved with them) and on the final states.
        var w = Normal(generator, batch, length, holey.Output.Values.shape[2]);
        var compactW = w.gather(1, order.unsqueeze(-1).expand(w.shape));
        var wHidden = Normal(generator, holey.Hidden.shape);
        torch.Tensor Loss(object p, torch.Tensor values, torch.Tensor m, torch.Tensor weights)
        {
            var (output, h, c) = net.Apply(p, values, m);
            return (output.Values * weights).sum().add((h * wHidden).sum(), Scalars.One).add(c is null ? 0 : (c * wHidden).sum(), Scalars.One);
        }
        var (stepLoop, fused) = isLstm
            ? (Tree.Leaves(Autodiff.ValueAndGrad((LstmParams p) => Loss(p, x, mask, w), (LstmParams)net.Parameters).Gradient),
               Tree.Leaves(Autodiff.ValueAndGrad((LstmParams p) => Loss(p, compact, prefix, compactW), (LstmParams)net.Parameters).Gradient))
            : (Tree.Leaves(Autodiff.ValueAndGrad((GruParams p) => Loss(p, x, mask, w), (GruParams)net.Parameters).Gradient),
               Tree.Leaves(Autodiff.ValueAndGrad((GruParams p) => Loss(p, compact, prefix, compactW), (GruParams)net.Parameters).Gradient));
        for (var i = 0; i < stepLoop.Count; i++) AssertClose(stepLoop[i], fused[i], atol: 1e-5);
    }

    [Property(MaxTest = 30)]
    public void LSTM_and_GRU_pass_GradCheck_with_all_padding_rows_on_the_fused_path_and_with_holes(bool isLstm, Batch batch, Dim length, bool twoLayers, bool bidirectional, bool holes, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        const int inputs = 2, hidden = 2;
        var net = Net.Make(isLstm, generator, inputs, hidden, Layers(twoLayers), bidirectional);
        var mask = RandomMask(generator, batch, Math.Min(length, 4), holes, emptyRow: true);
        var x = Normal64(generator, batch, mask.shape[1], inputs);
        var w = Normal64(generator, batch, mask.shape[1], hidden * (bidirectional ? 2 : 1));
        var wHidden = Normal64(generator, Layers(twoLayers) * (bidirectional ? 2 : 1), batch, hidden);
        torch.Tensor Loss(object p)
        {
            var (output, h, c) = net.Apply(p, x, mask);
            return (output.Values * w).sum().add((h * wHidden).sum(), Scalars.One).add(c is null ? 0 : (c * wHidden).sum(), Scalars.One);
        }
        if (isLstm) AssertGradCheckPasses((LstmParams p) => Loss(p), (LstmParams)net.Parameters);
        else AssertGradCheckPasses((GruParams p) => Loss(p), (GruParams)net.Parameters);
    }

    [Fact]
    public void Recurrent_layers_refuse_bad_masks_widths_and_mixed_directions()
    {
        using var scope = torch.NewDisposeScope();
        var p = Lstm.Init(Rng(0), 3, 2, 2, true, Cpu);
        var x = torch.zeros(2, 4, 3);
        var mask = torch.ones([2, 4], dtype: torch.@bool);
        Assert.Throws<LayerInputException>(() => Lstm.Apply(p, x, torch.ones(2, 4)));
        Assert.Throws<LayerInputException>(() => Lstm.Apply(p, x, torch.ones([2, 3], dtype: torch.@bool)));
        Assert.Throws<LayerInputException>(() => Lstm.Apply(p, torch.zeros(2, 4, 5), mask));
        Assert.Throws<LayerInputException>(() => Lstm.Apply(p with { Layers = [p.Layers[0], p.Layers[1] with { Backward = null }] }, x, mask));
        Assert.Throws<LayerInputException>(() => Gru.Apply(new GruParams(p.Layers), x, mask));
        Assert.Throws<LayerInputException>(() => Gru.Apply(new GruParams([]), x, mask));
    }

    /// <summary>
    /// The facts behind the fused path's design: a TorchSharp <c>Parameter</c> made from our tensor keeps the autograd
    /// link, but the native <c>nn.LSTM</c> refuses to have a parameter replaced, so the fused path copies our weights
    /// into a fresh module inside a custom autograd node instead.
    /// </summary>
    [Fact]
    public void A_parameter_made_from_our_tensor_keeps_the_autograd_link_but_the_native_LSTM_refuses_a_replaced_parameter()
    {
        using var scope = torch.NewDisposeScope();
        var ours = torch.randn(3).requires_grad_(true);
        var parameter = new TorchSharp.Modules.Parameter(ours.mul(Scalars.Two).alias());
        var gradient = torch.autograd.grad([(parameter * parameter).sum()], [ours], allow_unused: true)[0];
        Assert.False(gradient is null || gradient.IsInvalid, "no gradient reached our tensor through the parameter");
        using var eight = 8.ToScalar();
        AssertClose(ours.detach().mul(eight), gradient);

        using var module = torch.nn.LSTM(2, 3, 1, batchFirst: true);
        var error = Assert.ThrowsAny<Exception>(() => module.register_parameter("weight_ih_l0", new TorchSharp.Modules.Parameter(torch.zeros(12, 2))));
        Assert.Contains("already registered", error.Message);
    }

    [Fact]
    public void Parameter_paths_are_pytorch_state_dict_names()
    {
        using var scope = torch.NewDisposeScope();
        var p = Gru.Init(Rng(0), 3, 2, 1, true, Cpu);
        Assert.Equal(
            ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
             "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse"],
            Tree.Paths(p));
        Assert.Equal(new long[] { 6, 3 }, p.Layers[0].Forward.InputWeight.shape);
    }

    [Fact]
    public void Tree_paths_and_shapes_equal_the_state_dict_of_torch_nn_modules()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var bidirectional in new[] { false, true })
        {
            var lstm = Lstm.Init(Rng(1), 5, 3, 2, bidirectional, Cpu);
            using var lstmModule = torch.nn.LSTM(5, 3, 2, batchFirst: true, bidirectional: bidirectional);
            AssertSameStateDict(lstmModule.state_dict(), Tree.Flatten(lstm));
            var gru = Gru.Init(Rng(2), 5, 3, 2, bidirectional, Cpu);
            using var gruModule = torch.nn.GRU(5, 3, 2, batchFirst: true, bidirectional: bidirectional);
            AssertSameStateDict(gruModule.state_dict(), Tree.Flatten(gru));
        }
    }

    [Fact]
    public void Rebuilding_a_recurrent_tree_from_its_leaves_gives_the_same_tensors_in_place()
    {
        using var scope = torch.NewDisposeScope();
        var lstm = Lstm.Init(Rng(3), 4, 2, 3, true, Cpu);
        var copy = Tree.Map(lstm, t => t.clone());
        Assert.Equal(3, copy.Layers.Length);
        for (var k = 0; k < 3; k++)
        {
            Assert.True(copy.Layers[k].Forward.HiddenBias.eq(lstm.Layers[k].Forward.HiddenBias).all().item<bool>());
            Assert.True(copy.Layers[k].Backward!.InputWeight.eq(lstm.Layers[k].Backward!.InputWeight).all().item<bool>());
        }
        var uni = Gru.Init(Rng(4), 4, 2, 2, false, Cpu);
        Assert.All(Tree.Map(uni, t => t.clone()).Layers, layer => Assert.Null(layer.Backward));
    }

    [Theory]
    [InlineData("encoder/layers/0/forward/inputWeight", "encoder/weight_ih_l0")]
    [InlineData("encoder/layers/1/backward/hiddenBias", "encoder/bias_hh_l1_reverse")]
    [InlineData("layers/2/forward/hiddenWeight", "weight_hh_l2")]
    [InlineData("decoder/layers/0/backward/inputBias", "decoder/bias_ih_l0_reverse")]
    [InlineData("encoder/layers/0/weight", "encoder/layers/0/weight")]
    [InlineData("hidden/bias", "hidden/bias")]
    public void Legacy_recurrent_paths_map_to_pytorch_names(string legacy, string current) =>
        Assert.Equal(current, RecurrentPaths.FromLegacy(legacy));

    static void AssertSameStateDict(IDictionary<string, torch.Tensor> stateDict, IReadOnlyList<TreeLeaf> leaves)
    {
        Assert.Equal(stateDict.Keys.ToArray(), leaves.Select(leaf => leaf.Path).ToArray());
        foreach (var leaf in leaves) Assert.Equal(stateDict[leaf.Path].shape, leaf.Value.shape);
    }
}
