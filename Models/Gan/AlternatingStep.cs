using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Models.Gan;

/// <summary>
/// The classic GAN update, for comparison with <see cref="SingleLossStep"/>: a discriminator step on
/// <c>d(x, sg(G(z₁)))</c>, then a generator step on <c>λ · g(D(G(z₂)))</c> through the updated discriminator — two
/// forward and backward passes and two optimizer calls. Each step runs one branch of
/// <see cref="GanOptimizer.Joint"/> on its own leaves (with their full paths) and its own part of the joint state,
/// so it uses the same pipelines and the same state layout as the single-loss step.
/// </summary>
public static class AlternatingStep
{
    /// <summary>
    /// One discriminator step then one generator step (each preceded by one power iteration of the spectral
    /// vectors, without gradients), each with fresh noise for as many samples as <paramref name="real"/> has digits.
    /// The metrics are the discriminator loss before its step and the generator loss before its step. Pure and in one
    /// dispose scope: <paramref name="state"/> and <paramref name="real"/> are untouched.
    /// </summary>
    /// <param name="optimizer">The pipelines; <c>state.OptimizerState</c> is the state of its <see cref="GanOptimizer.Joint"/>.</param>
    /// <param name="lambda">The weight of the generator's loss.</param>
    /// <param name="state">The current state.</param>
    /// <param name="real">Real digits [batch, 784] in [-1, 1].</param>
    /// <param name="generator">Draws the noise.</param>
    /// <exception cref="ArgumentException">The optimizer state is not the joint state of <paramref name="optimizer"/>.</exception>
    public static GanStepResult Step(GanOptimizer optimizer, double lambda, GanState state, torch.Tensor real, torch.Generator generator) =>
        Memory.Scoped(() =>
        {
            var joint = state.OptimizerState as PartitionState
                ?? throw new ArgumentException($"The alternating step needs the joint state of a {nameof(GanOptimizer)} (a {nameof(PartitionState)}), got {state.OptimizerState?.GetType().Name ?? "null"}.", nameof(state));
            var batch = (int)real.shape[0];
            var parameters = state.Parameters;

            var spectral = state.Spectral is null ? null : Discriminator.AdvanceSpectral(parameters.Discriminator, state.Spectral);
            var noise = GanGenerator.Noise(parameters.Generator, batch, generator);
            var discriminatorStep = Autodiff.ValueAndGrad(p => SingleLoss.DiscriminatorLoss(p, spectral, real, noise), parameters);
            var (afterDiscriminator, discriminatorState) = BranchStep(optimizer.Discriminator, GanParams.DiscriminatorPaths, discriminatorStep.Gradient, joint.States[GanOptimizer.DiscriminatorBranch], parameters);

            spectral = spectral is null ? null : Discriminator.AdvanceSpectral(afterDiscriminator.Discriminator, spectral);
            noise = GanGenerator.Noise(parameters.Generator, batch, generator);
            using var weight = lambda.ToScalar();
            var generatorStep = Autodiff.ValueAndGrad(p => SingleLoss.GeneratorLoss(p, spectral, noise).mul(weight), afterDiscriminator);
            var (afterGenerator, generatorState) = BranchStep(optimizer.Generator, GanParams.GeneratorPaths, generatorStep.Gradient, joint.States[GanOptimizer.GeneratorBranch], afterDiscriminator);

            var states = joint.States.ToArray();
            states[GanOptimizer.DiscriminatorBranch] = discriminatorState;
            states[GanOptimizer.GeneratorBranch] = generatorState;
            var metrics = new GanMetrics(discriminatorStep.Value.item<float>(), generatorStep.Value.item<float>() / lambda);
            return new GanStepResult(new GanState(afterGenerator, new PartitionState(states), spectral, state.Step + 1), metrics);
        });

    /// <summary>
    /// Runs <paramref name="branch"/> on the leaves under <paramref name="pattern"/> (gradients, state and parameters
    /// as the joint pipeline would hand them to it) and returns the parameters with those leaves updated (the others as fresh aliases).
    /// </summary>
    static (GanParams Parameters, object State) BranchStep(IGradientTransformation branch, string pattern, GanParams gradients, object state, GanParams parameters)
    {
        var parameterLeaves = Tree.Flatten(parameters);
        var gradientLeaves = Tree.Flatten(gradients);
        var chosen = Enumerable.Range(0, parameterLeaves.Count).Where(i => PathPattern.Matches(pattern, parameterLeaves[i].Path)).ToArray();
        var result = branch.Update(chosen.Select(i => gradientLeaves[i]).ToArray(), state, chosen.Select(i => parameterLeaves[i]).ToArray());
        var leaves = parameterLeaves.Select(leaf => leaf.Value.alias()).ToArray();
        for (var k = 0; k < chosen.Length; k++) leaves[chosen[k]] = parameterLeaves[chosen[k]].Value.add(result.Updates[k].Value, Scalars.One);
        return (Tree.Unflatten(parameters, leaves), result.State);
    }
}
