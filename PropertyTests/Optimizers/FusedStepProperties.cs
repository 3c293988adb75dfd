using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>
/// <c>Optimizer.Step</c> runs [clip] Adam [EMA] on large float32 trees as one fused pass; it must agree with the
/// stage-by-stage path (<c>Update</c> then <c>ApplyUpdates</c>) and with <c>torch.optim.Adam</c>, and stay pure.
/// In <see cref="TorchSharpPeerCollection"/>: <c>torch.optim.Adam</c>'s step makes temporary Scalars (FT0003).
/// </summary>
[Collection(TorchSharpPeerCollection.Name)]
public sealed class FusedStepProperties
{
    /// <summary>A tree just above the fused threshold: 1..3 vectors adding up to at least 65536 elements.</summary>
    static Net LargeNet(int seed)
    {
        var random = new Random(seed);
        using var generator = new torch.Generator(unchecked((ulong)(uint)seed));
        var columns = random.Next(1, 4);
        var rows = FusedThreshold / columns + random.Next(1, 100);
        return new Net(torch.randn([rows, columns], generator: generator), torch.randn([columns], generator: generator),
            Enumerable.Range(0, random.Next(0, 3)).Select(_ => torch.randn([random.Next(1, 40)], generator: generator)).ToArray());
    }

    const int FusedThreshold = 1 << 16;

    static IGradientTransformation Pipeline(int seed)
    {
        var random = new Random(seed);
        var adam = Optimizer.Adam(new Constant(1e-3 + random.NextDouble() * 0.05), new ScaleByAdam(0.5 + random.NextDouble() * 0.45, 0.9 + random.NextDouble() * 0.0999, 1e-8));
        return random.Next(3) switch
        {
            0 => adam,
            1 => new Chain(new ClipByGlobalNorm(50 + random.NextDouble() * 300), adam),
            _ => new Chain(new ClipByGlobalNorm(50 + random.NextDouble() * 300), adam, new ParameterEma(0.5 + random.NextDouble() * 0.49, random.Next(2) == 0)),
        };
    }

    [Property(MaxTest = 10)]
    public void Fused_step_agrees_with_update_then_apply_and_leaves_inputs_alone(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = LargeNet(seed);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 3);
        var pipeline = Pipeline(seed);
        var (fastParameters, fastState) = (start, Optimizer.Init(pipeline, start));
        var (slowParameters, slowState) = (start, Optimizer.Init(pipeline, start));
        foreach (var gradient in gradients)
        {
            var before = (Tree.Map(fastParameters, t => t.clone()), Tree.Map(gradient, t => t.clone()), Tree.Map(fastState, t => t.clone()));
            var fast = Optimizer.Step(pipeline, gradient, fastState, fastParameters);
            OptimizerTesting.AssertBitwise(before.Item1, fastParameters, "parameters:");
            OptimizerTesting.AssertBitwise(before.Item2, gradient, "gradient:");
            Assert.True(OptimizerStates.Equal(before.Item3, fastState), "the state given to the fused step changed");

            var slow = Optimizer.Update(pipeline, gradient, slowState, slowParameters);
            (slowParameters, slowState) = (Optimizer.ApplyUpdates(slowParameters, slow.Updates), slow.State);
            (fastParameters, fastState) = (fast.Parameters, fast.State);
            OptimizerTesting.AssertClose(slowParameters, fastParameters, 1e-6, 1e-6, "parameters:");
            var (slowCodec, fastCodec) = (OptimizerStates.Encode(slowState), OptimizerStates.Encode(fastState));
            Assert.Equal(slowCodec.Structure, fastCodec.Structure);
            for (var i = 0; i < slowCodec.Tensors.Count; i++)
                // Moments are small (nu ~ (1 - b2) g^2): relative bound; the average is parameter-sized: float32 rounding of order-1 values.
                OptimizerTesting.AssertClose(slowCodec.Tensors[i].Value, fastCodec.Tensors[i].Value, 1e-5,
                    slowCodec.Tensors[i].Path.Contains("average") ? 1e-6 : 1e-9, slowCodec.Tensors[i].Path);
        }
        if (pipeline is Chain { Stages: [_, _, ParameterEma] })
            OptimizerTesting.AssertClose(ParameterEma.Average(slowState, start), ParameterEma.Average(fastState, start), 1e-6, 1e-6, "average:");
    }

    [Property(MaxTest = 5)]
    public void Fused_adam_agrees_with_torch_over_20_steps(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = LargeNet(seed);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 20);
        var parameters = Tree.Leaves(start).Select(leaf => new Parameter(leaf.clone(), requires_grad: true)).ToArray();
        var torchAdam = torch.optim.Adam(parameters, 0.01);
        var trajectory = OptimizerTesting.Trajectory(Optimizer.Adam(0.01), start, gradients);
        for (var step = 0; step < gradients.Length; step++)
        {
            torchAdam.zero_grad();
            parameters.Zip(Tree.Leaves(gradients[step]), (p, g) => (p * g).sum()).Aggregate((a, b) => a.add(b, Scalars.One)).backward();
#pragma warning disable FT0003 // the torch.optim peer: Adam.step makes its hyperparameters temporary Scalars
            torchAdam.step();
#pragma warning restore FT0003
            OptimizerTesting.AssertClose(Tree.Unflatten(start, parameters.Select(p => p.detach()).ToArray()), trajectory[step], 1e-5, 1e-5, $"step {step + 1}:");
        }
    }
}
