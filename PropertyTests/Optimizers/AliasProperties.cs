using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>The aliases without a torch.optim counterpart keep their defining invariants.</summary>
public sealed class AliasProperties
{
    [Property(MaxTest = 100)]
    public void Lion_moves_every_element_by_exactly_the_learning_rate_or_not_at_all(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float64);
        var lr = 1e-3 + new Random(seed).NextDouble() * 0.1;
        var lion = Optimizer.Lion(new Constant(lr), ScaleByLion.Default, new AddDecayedWeights(0));
        var state = Optimizer.Init(lion, start);
        var parameters = start;
        using var rate = lr.ToScalar();
        foreach (var gradient in OptimizerTesting.RandomGradients(start, seed, 4))
        {
            var update = Optimizer.Update(lion, gradient, state, parameters);
            foreach (var leaf in Tree.Leaves(update.Updates))
                Assert.True(leaf.abs().eq(rate).logical_or(leaf.eq(Scalars.Zero)).all().item<bool>(), "a Lion update is not in {-lr, 0, +lr}");
            (parameters, state) = (Optimizer.ApplyUpdates(parameters, update.Updates), update.State);
        }
    }

    [Property(MaxTest = 100)]
    public void Lamb_updates_have_norm_lr_times_the_parameter_norm_per_tensor(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float64);
        var lr = 1e-3 + new Random(seed).NextDouble() * 0.1;
        var lamb = Optimizer.Lamb(new Constant(lr), ScaleByAdam.Default, new AddDecayedWeights(0.01, ["bias"]));
        var state = Optimizer.Init(lamb, start);
        var parameters = start;
        foreach (var gradient in OptimizerTesting.RandomGradients(start, seed, 3))
        {
            var update = Optimizer.Update(lamb, gradient, state, parameters);
            foreach (var (p, u) in Tree.Leaves(parameters).Zip(Tree.Leaves(update.Updates)))
                Assert.Equal(lr * p.norm().item<double>(), u.norm().item<double>(), 1e-12);
            (parameters, state) = (Optimizer.ApplyUpdates(parameters, update.Updates), update.State);
        }
    }
}
