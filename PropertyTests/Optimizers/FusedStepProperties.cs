using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>
/// <see cref="FusedAdam"/> is the fused kernel asked for by name: as a transformation it is its staged chain
/// (updates and states bitwise, saved and loaded alike), its <c>Optimizer.Step</c> on large float32 trees is one fused
/// pass that agrees with the staged step and with <c>torch.optim.Adam</c> and stays pure, and a staged Adam — with a
/// stage added or not — never runs the kernel.
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
        var rows = (int)FusedAdam.MinimumElements / columns + random.Next(1, 100);
        return new Net(torch.randn([rows, columns], generator: generator), torch.randn([columns], generator: generator),
            Enumerable.Range(0, random.Next(0, 3)).Select(_ => torch.randn([random.Next(1, 40)], generator: generator)).ToArray());
    }

    /// <summary>A random fused Adam: random rate and moments, with or without a clip, with or without an average.</summary>
    static FusedAdam Fused(int seed)
    {
        var random = new Random(seed);
        var adam = Optimizer.FusedAdam(new Constant(1e-3 + random.NextDouble() * 0.05), new ScaleByAdam(0.5 + random.NextDouble() * 0.45, 0.9 + random.NextDouble() * 0.0999, 1e-8));
        return adam with
        {
            Clip = random.Next(2) == 0 ? null : new ClipByGlobalNorm(50 + random.NextDouble() * 300),
            Average = random.Next(2) == 0 ? null : new ParameterEma(0.5 + random.NextDouble() * 0.49, random.Next(2) == 0),
        };
    }

    [Property(MaxTest = 300)]
    public void Fused_alias_updates_and_states_are_the_staged_pipelines_bitwise(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float32);
        var fused = Fused(seed);
        var staged = fused.Staged;
        var (fusedState, stagedState) = (Optimizer.Init(fused, start), Optimizer.Init(staged, start));
        Assert.True(OptimizerStates.Equal(stagedState, fusedState), "initial states differ");
        foreach (var gradient in OptimizerTesting.RandomGradients(start, seed, 3, scale: 100))
        {
            var (f, s) = (Optimizer.Update(fused, gradient, fusedState, start), Optimizer.Update(staged, gradient, stagedState, start));
            OptimizerTesting.AssertBitwise(s.Updates, f.Updates, "updates:");
            Assert.True(OptimizerStates.Equal(s.State, f.State), "states differ");
            (fusedState, stagedState) = (f.State, s.State);
        }
    }

    /// <remarks>
    /// Tolerance 1e-6 (relative and absolute) on parameters of order 1: the kernel computes in float32 with its own
    /// operation order (a reciprocal of the bias correction, fused multiply-adds, a parallel sum for the clip norm), so
    /// it differs from the staged tensor operations by float32 rounding, a few units in the last place.
    /// </remarks>
    [Property(MaxTest = 300)]
    public void Fused_step_agrees_with_the_staged_step_and_leaves_inputs_alone(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = LargeNet(seed);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 2);
        var fused = Fused(seed);
        var (fastParameters, fastState) = (start, Optimizer.Init(fused, start));
        var (slowParameters, slowState) = (start, Optimizer.Init(fused.Staged, start));
        foreach (var gradient in gradients)
        {
            var before = (Tree.Map(fastParameters, t => t.clone()), Tree.Map(gradient, t => t.clone()), Tree.Map(fastState, t => t.clone()));
            var fast = Optimizer.Step(fused, gradient, fastState, fastParameters);
            OptimizerTesting.AssertBitwise(before.Item1, fastParameters, "parameters:");
            OptimizerTesting.AssertBitwise(before.Item2, gradient, "gradient:");
            Assert.True(OptimizerStates.Equal(before.Item3, fastState), "the state given to the fused step changed");

            var slow = Optimizer.Step(fused.Staged, gradient, slowState, slowParameters);
            (slowParameters, slowState) = (slow.Parameters, slow.State);
            (fastParameters, fastState) = (fast.Parameters, fast.State);
            OptimizerTesting.AssertClose(slowParameters, fastParameters, 1e-6, 1e-6, "parameters:");
            var slowLeaves = OptimizerStates.Flatten(slowState);
            var fastLeaves = OptimizerStates.Flatten(fastState);
            Assert.Equal(slowLeaves.Select(leaf => leaf.Path), fastLeaves.Select(leaf => leaf.Path));
            for (var i = 0; i < slowLeaves.Count; i++)
                if (slowLeaves[i].Value.shape.Length == 0)
                    Assert.True(Same.Bitwise(slowLeaves[i].Value, fastLeaves[i].Value), slowLeaves[i].Path);
                else
                    // Moments are small (nu ~ (1 - b2) g^2): relative bound; the average is parameter-sized: float32 rounding of order-1 values.
                    OptimizerTesting.AssertClose(slowLeaves[i].Value, fastLeaves[i].Value, 1e-5,
                        slowLeaves[i].Path.Contains("average") ? 1e-6 : 1e-9, slowLeaves[i].Path);
        }
        if (fused.Average is not null)
            OptimizerTesting.AssertClose(ParameterEma.Average(slowState, start), ParameterEma.Average(fastState, start), 1e-6, 1e-6, "average:");
    }

    /// <summary>
    /// The kernel is never chosen by a chain's shape: a staged Adam (clipped and averaged or not, with a stage added
    /// or not) and a fused Adam inside another chain step bitwise as Update then ApplyUpdates, on trees large enough
    /// for the kernel, which would differ by float32 rounding.
    /// </summary>
    [Property(MaxTest = 20)]
    public void Only_a_fused_adam_given_to_step_runs_the_fused_kernel(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = LargeNet(seed);
        var fused = Fused(seed);
        var random = new Random(seed);
        IGradientTransformation staged = random.Next(3) switch
        {
            0 => fused.Staged,
            1 => new Chain(fused.Staged, new Scale(0.5)),
            _ => new Chain(fused, new Scale(0.5)),
        };
        var (stepState, updateState) = (Optimizer.Init(staged, start), Optimizer.Init(staged, start));
        var (stepParameters, updateParameters) = (start, start);
        var differs = false;
        foreach (var gradient in OptimizerTesting.RandomGradients(start, seed, 2))
        {
            var step = Optimizer.Step(staged, gradient, stepState, stepParameters);
            var update = Optimizer.Update(staged, gradient, updateState, updateParameters);
            (updateParameters, updateState) = (Optimizer.ApplyUpdates(updateParameters, update.Updates), update.State);
            (stepParameters, stepState) = (step.Parameters, step.State);
            OptimizerTesting.AssertBitwise(updateParameters, stepParameters, "staged step:");
            Assert.True(OptimizerStates.Equal(updateState, stepState), "staged states differ");

            // The same stages asked for by name run the kernel: not bitwise the staged step here.
            var kernel = Optimizer.Step(fused, gradient, Optimizer.Init(fused, start), start);
            var plain = Optimizer.Step(fused.Staged, gradient, Optimizer.Init(fused.Staged, start), start);
            differs |= !Tree.Leaves(kernel.Parameters).Zip(Tree.Leaves(plain.Parameters)).All(pair => Same.Bitwise(pair.Item1, pair.Item2));
        }
        Assert.True(differs, "the fused step equalled the staged step bitwise: the kernel did not run");
    }

    [Property(MaxTest = 20)]
    public void Fused_state_saves_and_loads_as_the_staged_one(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = LargeNet(seed);
        var fused = Fused(seed);
        var state = Optimizer.Init(fused, start);
        foreach (var gradient in OptimizerTesting.RandomGradients(start, seed, 2))
            state = Optimizer.Step(fused, gradient, state, start).State;
        var stored = StateCodecProperties.Stored(state);
        var decoded = OptimizerStates.Restore(Optimizer.Init(fused.Staged, start), stored);
        Assert.True(OptimizerStates.Equal(state, decoded), "the decoded state differs");
        // The decoded state continues under the staged chain exactly as under the fused alias's own Update.
        var gradientAfter = OptimizerTesting.RandomGradients(start, seed + 1, 1)[0];
        var (viaStaged, viaFused) = (Optimizer.Update(fused.Staged, gradientAfter, decoded, start), Optimizer.Update(fused, gradientAfter, state, start));
        OptimizerTesting.AssertBitwise(viaStaged.Updates, viaFused.Updates, "updates after loading:");
        Assert.True(OptimizerStates.Equal(viaStaged.State, viaFused.State), "states after loading differ");
    }

    [Property(MaxTest = 5)]
    public void Fused_adam_agrees_with_torch_over_20_steps(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = LargeNet(seed);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 20);
        var parameters = Tree.Leaves(start).Select(leaf => new Parameter(leaf.clone(), requires_grad: true)).ToArray();
        var torchAdam = torch.optim.Adam(parameters, 0.01);
        var trajectory = OptimizerTesting.Trajectory(Optimizer.FusedAdam(0.01), start, gradients);
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
