using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>
/// The classic GAN update, for comparison with the single loss (<see cref="GanModel.Loss"/>): a discriminator step on
/// <c>d(x, sg(G(z₁)))</c>, then a generator step on <c>λ · g(D(G(z₂)))</c> through the updated discriminator — two
/// forward and backward passes and two optimizer calls. Each step runs one branch of <see cref="GanOptimizer.Joint"/>
/// on its own leaves (with their full paths) and its own part of the joint state, so it uses the same pipelines and the
/// same train state as the single-loss step, and runs in <see cref="Fit.RunSteps{TParams, TModelState, TBatch}"/>.
/// </summary>
public static class AlternatingStep
{
    /// <summary>
    /// The step: one power iteration of the spectral vectors (model state, without gradients) before each of the two
    /// updates, fresh noise from the train state's generator for as many samples as the batch has digits before each.
    /// Metrics: <c>loss</c> and <see cref="GanModel.DiscriminatorLossName"/> the discriminator loss before its update,
    /// <see cref="GanModel.GeneratorLossName"/> the generator loss before its update. Pure and in one dispose scope: the
    /// state and batch are untouched, and the next state shares no tensor with them.
    /// </summary>
    /// <param name="optimizer">The pipelines; the train state's optimizer state is the state of its <see cref="GanOptimizer.Joint"/>.</param>
    /// <param name="lambda">The weight of the generator's loss.</param>
    /// <exception cref="ArgumentException">The optimizer state is not the joint state of <paramref name="optimizer"/>.</exception>
    public static TrainStep<GanParams, GanState, torch.Tensor> Step(GanOptimizer optimizer, double lambda) => (state, real) =>
    {
        var joint = state.OptimizerState as PartitionState
            ?? throw new ArgumentException($"The alternating step needs the joint state of a {nameof(GanOptimizer)} (a {nameof(PartitionState)}), got {state.OptimizerState?.GetType().Name ?? "null"}.", nameof(state));
        using var generator = new torch.Generator(0, Tree.Leaves(state.Parameters)[0].device);
        generator.set_state(state.RandomState);
        double discriminatorLoss = 0, generatorLoss = 0;
        var next = Memory.Scoped(() =>
        {
            var batch = (int)real.shape[0];
            var parameters = state.Parameters;
            var given = state.ModelState.Spectral;

            var spectral = given is null ? null : Discriminator.AdvanceSpectral(parameters.Discriminator, given);
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
            discriminatorLoss = discriminatorStep.Value.to(torch.float64).item<double>();
            generatorLoss = generatorStep.Value.to(torch.float64).item<double>() / lambda;
            return new TrainState<GanParams, GanState>(afterGenerator, new PartitionState(states), state.Step + 1, generator.get_state(),
                state.Position with { Batch = state.Position.Batch + 1 }, spectral is null ? Tree.Map(state.ModelState, t => t.detach()) : new GanState(spectral));
        });
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [TrainingSteps.LossName] = discriminatorLoss, [GanModel.DiscriminatorLossName] = discriminatorLoss, [GanModel.GeneratorLossName] = generatorLoss,
        };
        return new StepResult<GanParams, GanState>(next, metrics);
    };

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
