using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>
/// Checkpoints written before the optimizers' assembly was renamed (from <c>Optimizers</c> to
/// <c>Functional.Optimizers</c>) name their state types with the old assembly; they must still load.
/// </summary>
public sealed class LegacyStateNamesTests
{
    [Fact]
    public void A_state_whose_types_name_the_old_optimizers_assembly_decodes_to_the_same_state()
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(3, torch.float32);
        var pipeline = new Chain(new ClipByGlobalNorm(1), Optimizer.Adam(1e-2), new ParameterEma(0.9, true));
        var state = Optimizer.Init(pipeline, start);
        var encoded = OptimizerStates.Encode(state);
        var current = typeof(ChainState).Assembly.GetName().Name!;
        Assert.Equal("Functional.Optimizers", current);
        var legacy = encoded.Structure.Replace($", {current}, ", ", Optimizers, ", StringComparison.Ordinal);
        Assert.NotEqual(encoded.Structure, legacy);

        var restored = OptimizerStates.Decode(new EncodedState(encoded.Tensors.Select(t => new TreeLeaf(t.Path, t.Value.clone())).ToArray(), legacy));

        Assert.True(OptimizerStates.Equal(state, restored));
    }

    [Fact]
    public void A_type_of_an_unknown_assembly_is_still_refused()
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(4, torch.float32);
        var encoded = OptimizerStates.Encode(Optimizer.Init(Optimizer.Adam(1e-2), start));
        var current = typeof(ChainState).Assembly.GetName().Name!;
        var foreign = encoded.Structure.Replace($", {current}, ", ", Someone.Else, ", StringComparison.Ordinal);

        var error = Assert.ThrowsAny<Exception>(() => OptimizerStates.Decode(new EncodedState(encoded.Tensors, foreign)));

        Assert.Contains("Someone.Else", error.Message);
    }
}
