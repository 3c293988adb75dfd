using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;
using static Functional.PropertyTests.Transformers.TransformerTesting;

namespace Functional.PropertyTests.Transformers;

/// <summary>Bad input is a clear error naming the layer path and both shapes.</summary>
public sealed class TransformerErrorTests
{
    /// <summary>A model holding a stack and its position table, as a UniLM would.</summary>
    public sealed record Model(TransformerStackParams Encoder, LearnedPositionsParams Positions);

    static torch.Tensor Column(long position) => torch.tensor(new[] { position, position }).reshape(2, 1);

    static Model Make() => new(TransformerStack.Init(Rng(1), 2, 4, 2, 6, false, RotarySettings.Default, NoDropout, true, Cpu), LearnedPositions.Init(Rng(2), 5, 4, Cpu));

    static LayerInputException Refused(Model model, Func<Model, object> apply)
    {
        var error = Assert.Throws<LayerInputException>(() => LayerPaths.Resolve(model, apply));
        Assert.NotNull(error.Path);
        return error;
    }

    [Fact]
    public void A_mask_of_the_wrong_shape_names_the_block_path_and_both_shapes()
    {
        using var scope = torch.NewDisposeScope();
        var model = Make();
        var x = new MaskedSequence(torch.zeros(2, 3, 4), torch.ones([2, 3], dtype: torch.@bool));
        var error = Refused(model, m => TransformerStack.Apply(m.Encoder, x, torch.ones([2, 3, 4], dtype: torch.@bool), Positions(2, 3), false, Rng(0)));
        Assert.Contains("encoder/layers/0/self_attn", error.Message);
        Assert.Contains("[2, 3, 3]", error.Message);
        Assert.Contains("[2, 3, 4]", error.Message);
        var badSequenceMask = Refused(model, m => TransformerStack.Apply(m.Encoder, x with { Mask = torch.ones([2, 4], dtype: torch.@bool) }, torch.ones([2, 3, 3], dtype: torch.@bool), Positions(2, 3), false, Rng(0)));
        Assert.Contains("encoder/layers/0", badSequenceMask.Message);
        Assert.Contains("[2, 4]", badSequenceMask.Message);
        var wide = Refused(model, m => TransformerStack.Apply(m.Encoder, new MaskedSequence(torch.zeros(2, 3, 5), x.Mask), torch.ones([2, 3, 3], dtype: torch.@bool), Positions(2, 3), false, Rng(0)));
        Assert.Contains("[2, 3, 5]", wide.Message);
    }

    [Fact]
    public void A_cache_at_the_wrong_offset_or_of_the_wrong_shape_names_the_layer_path()
    {
        using var scope = torch.NewDisposeScope();
        var model = Make();
        var generator = Rng(0);
        var first = new MaskedSequence(torch.randn(2, 3, 4), torch.ones([2, 3], dtype: torch.@bool));
        var cache = TransformerStack.Step(model.Encoder, first, CausalFor(first.Mask), Positions(2, 3), TransformerStackCache.Empty(model.Encoder, 2), 0, false, generator).Cache;
        var next = new MaskedSequence(torch.randn(2, 1, 4), torch.ones([2, 1], dtype: torch.@bool));
        var allowed = torch.ones([2, 1, 5], dtype: torch.@bool);
        var offset = Refused(model, m => TransformerStack.Step(m.Encoder, next, allowed, Column(4), cache, 4, false, generator));
        Assert.Contains("encoder/layers/0/self_attn", offset.Message);
        Assert.Contains("offset 4", offset.Message);
        Assert.Contains("3 slots", offset.Message);
        var rows = Refused(model, m => TransformerStack.Step(m.Encoder, next, torch.ones([2, 1, 4], dtype: torch.@bool), Column(3), cache.Select(torch.tensor(new long[] { 0 })), 3, false, generator));
        Assert.Contains("[2, 2, 3, 2]", rows.Message);
        Assert.Contains("[1, 2, 3, 2]", rows.Message);
        var blocks = Refused(model, m => TransformerStack.Step(m.Encoder, next, torch.ones([2, 1, 4], dtype: torch.@bool), Column(3), new TransformerStackCache([cache.Layers[0]]), 3, false, generator));
        Assert.Contains("encoder", blocks.Message);
        Assert.Contains("1 blocks", blocks.Message);
    }

    [Fact]
    public void A_sequence_longer_than_the_positions_allow_names_the_table_path()
    {
        using var scope = torch.NewDisposeScope();
        var model = Make();
        var error = Refused(model, m => LearnedPositions.Apply(m.Positions, Positions(1, 7)));
        Assert.Contains("'positions'", error.Message);
        Assert.Contains("[0, 5)", error.Message);
        Assert.Contains("0 to 6", error.Message);
    }

    [Fact]
    public void Settings_refuse_rates_outside_zero_to_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TransformerBlockSettings.Default with { Dropout = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => TransformerBlockSettings.Default with { AttentionDropout = -0.1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => TransformerAttention.Init(Rng(0), 6, 4, null, Cpu));
    }
}
