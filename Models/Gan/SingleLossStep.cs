using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Models.Gan;

/// <summary>
/// One GAN update from the single loss (<see cref="SingleLoss"/>): one forward pass, one backward pass, one call of
/// the optimizer on the whole parameter tree.
/// </summary>
public static class SingleLossStep
{
    /// <summary>
    /// Advances the spectral vectors by one power iteration (without gradients), draws noise for as many samples as
    /// <paramref name="real"/> has digits, differentiates the single loss with weight <paramref name="lambda"/> and
    /// applies <paramref name="optimizer"/> (a pipeline over <see cref="GanParams"/>, e.g.
    /// <see cref="GanOptimizer.Joint"/>, or one with <see cref="PathMultipliers"/> per network).
    /// Pure and in one dispose scope: <paramref name="state"/> and <paramref name="real"/> are untouched.
    /// </summary>
    /// <param name="optimizer">The pipeline whose state is <c>state.OptimizerState</c>.</param>
    /// <param name="lambda">The weight of the generator's term.</param>
    /// <param name="state">The current state.</param>
    /// <param name="real">Real digits [batch, 784] in [-1, 1].</param>
    /// <param name="generator">Draws the noise.</param>
    public static GanStepResult Step(IGradientTransformation optimizer, double lambda, GanState state, torch.Tensor real, torch.Generator generator) =>
        Memory.Scoped(() =>
        {
            var parameters = state.Parameters;
            var spectral = state.Spectral is null ? null : Discriminator.AdvanceSpectral(parameters.Discriminator, state.Spectral);
            var noise = GanGenerator.Noise(parameters.Generator, (int)real.shape[0], generator);
            GanMetrics? metrics = null;
            var gradient = Autodiff.ValueAndGrad(p =>
            {
                var terms = SingleLoss.Terms(p, spectral, real, noise, lambda);
                metrics = new GanMetrics(terms.DiscriminatorLoss.item<float>(), terms.GeneratorLoss.item<float>());
                return terms.Total;
            }, parameters).Gradient;
            var next = Optimizer.Step(optimizer, gradient, state.OptimizerState, parameters);
            return new GanStepResult(new GanState(next.Parameters, next.State, spectral, state.Step + 1), metrics!);
        });
}
