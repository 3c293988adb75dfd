using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using TorchSharp.Modules;

namespace Functional.PropertyTests.Optimizers;

/// <summary>
/// The aliases agree with TorchSharp's own <c>torch.optim</c> classes over 100 steps on the same random gradients:
/// float64 within 1e-10 relative, float32 within 1e-5 relative. The parameters are of order 1; an element that passes
/// near zero carries the rounding error of order-1 arithmetic (float32: about 1e-7 absolute), so the bound is
/// <c>rtol * (|expected| + s)</c> with the floor s = 1 for float32 and s = 1e-3 for float64.
/// In <see cref="TorchSharpPeerCollection"/>: the step of every <c>torch.optim</c> optimizer makes temporary Scalars.
/// </summary>
[Xunit.Collection(TorchSharpPeerCollection.Name)]
public sealed class TorchAgreementTests
{
    const int Steps = 100;

    static void Agree(int seed, bool float64, IGradientTransformation ours, Func<IEnumerable<Parameter>, torch.optim.Optimizer> theirs)
    {
        using var scope = torch.NewDisposeScope();
        var dtype = float64 ? torch.float64 : torch.float32;
        var start = OptimizerTesting.RandomNet(seed, dtype);
        var gradients = OptimizerTesting.RandomGradients(start, seed, Steps);

        var parameters = Tree.Leaves(start).Select(leaf => new Parameter(leaf.clone(), requires_grad: true)).ToArray();
        var optimizer = theirs(parameters);
        var trajectory = OptimizerTesting.Trajectory(ours, start, gradients);
        var rtol = float64 ? 1e-10 : 1e-5;
        for (var step = 0; step < Steps; step++)
        {
            optimizer.zero_grad();
            // The gradient of sum(p * g) with respect to p is exactly g.
            var loss = parameters.Zip(Tree.Leaves(gradients[step]), (p, g) => (p * g).sum()).Aggregate((a, b) => a.add(b, Scalars.One));
            loss.backward();
            optimizer.step(); // the torch.optim peer (FT0003 on each concrete step; not seen through the base class)
            var reference = Tree.Unflatten(start, parameters.Select(p => p.detach()).ToArray());
            OptimizerTesting.AssertClose(reference, trajectory[step], rtol, float64 ? rtol * 1e-3 : rtol, $"step {step + 1}:");
        }
    }

    static double Rate(int seed, double low, double high) => low + (high - low) * new Random(seed ^ 0x5f3759df).NextDouble();

    [Property(MaxTest = 15)]
    public void Sgd_agrees_with_torch(int seed, bool float64)
    {
        var lr = Rate(seed, 1e-3, 0.1);
        Agree(seed, float64, Optimizer.Sgd(lr), p => torch.optim.SGD(p, lr));
    }

    [Property(MaxTest = 15)]
    public void Momentum_agrees_with_torch(int seed, bool float64)
    {
        var (lr, momentum) = (Rate(seed, 1e-3, 0.1), Rate(seed + 1, 0, 0.95));
        Agree(seed, float64, Optimizer.Momentum(lr, momentum), p => torch.optim.SGD(p, lr, momentum));
    }

    [Property(MaxTest = 15)]
    public void Nesterov_agrees_with_torch(int seed, bool float64)
    {
        var (lr, momentum) = (Rate(seed, 1e-3, 0.1), Rate(seed + 1, 0.05, 0.95));
        Agree(seed, float64, Optimizer.Nesterov(lr, momentum), p => torch.optim.SGD(p, lr, momentum, nesterov: true));
    }

    [Property(MaxTest = 15)]
    public void Adagrad_agrees_with_torch(int seed, bool float64)
    {
        var (lr, initial) = (Rate(seed, 1e-3, 0.1), Rate(seed + 1, 0, 0.5));
        Agree(seed, float64, Optimizer.Adagrad(lr, ScaleByAdagrad.Default with { InitialAccumulator = initial }),
            p => torch.optim.Adagrad(p, lr, initial_accumulator_value: initial));
    }

    [Property(MaxTest = 15)]
    public void RmsProp_agrees_with_torch(int seed, bool float64)
    {
        var (lr, alpha) = (Rate(seed, 1e-3, 0.1), Rate(seed + 1, 0.5, 0.999));
        Agree(seed, float64, Optimizer.RmsProp(lr, ScaleByRms.Default with { Decay = alpha }), p => torch.optim.RMSProp(p, lr, alpha: alpha));
    }

    [Property(MaxTest = 15)]
    public void Adam_agrees_with_torch(int seed, bool float64)
    {
        var (lr, b1, b2) = (Rate(seed, 1e-3, 0.1), Rate(seed + 1, 0.5, 0.95), Rate(seed + 2, 0.9, 0.9999));
        Agree(seed, float64, Optimizer.Adam(new Constant(lr), new ScaleByAdam(b1, b2, 1e-8)), p => torch.optim.Adam(p, lr, b1, b2));
    }

    [Property(MaxTest = 15)]
    public void AdamW_agrees_with_torch(int seed, bool float64)
    {
        var (lr, wd) = (Rate(seed, 1e-3, 0.1), Rate(seed + 1, 0, 0.5));
        Agree(seed, float64, Optimizer.AdamW(lr, wd), p => torch.optim.AdamW(p, lr, weight_decay: wd));
    }
}
