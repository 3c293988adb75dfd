using Functional.Core;
using TorchSharp;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>
/// The GAN as the fit loop sees it: a <see cref="ModelLoss{TParams, TModelState, TBatch}"/> over <see cref="GanParams"/> and batches
/// of real digits [batch, 784] in [-1, 1], whose model state is the discriminator's <see cref="SpectralVectors"/> in a <see cref="GanState"/> (none
/// without spectral normalisation).
/// </summary>
public static class GanModel
{
    /// <summary>The metric of the discriminator's hinge loss.</summary>
    public const string DiscriminatorLossName = "discriminator_loss";

    /// <summary>The metric of the generator's hinge loss.</summary>
    public const string GeneratorLossName = "generator_loss";

    /// <summary>
    /// The starting model state of <paramref name="parameters"/>: spectral vectors drawn with <paramref name="generator"/>
    /// when <paramref name="options"/> asks for spectral normalisation, else none.
    /// </summary>
    public static GanState InitState(torch.Generator generator, GanParams parameters, GanOptions options) =>
        new(options.SpectralNorm ? Discriminator.InitSpectral(generator, parameters.Discriminator) : null);

    /// <summary>
    /// The single loss with weight <paramref name="lambda"/> (<see cref="SingleLoss"/>): noise for as many samples as the
    /// batch has digits drawn from the context's generator, the discriminator normalised once with the context's
    /// spectral vectors (advanced by one power iteration in training), metrics <see cref="DiscriminatorLossName"/> and
    /// <see cref="GeneratorLossName"/>, and the advanced vectors as the next model state. Through
    /// <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/> with <see cref="GanOptimizer.Joint"/> this is one forward pass,
    /// one backward pass and one optimizer call per step.
    /// </summary>
    public static ModelLoss<GanParams, GanState, torch.Tensor> Loss(double lambda) => (parameters, real, context) =>
    {
        var spectral = context.State.Spectral;
        var discriminator = Discriminator.Normalize(parameters.Discriminator, spectral, context.Training);
        var noise = GanGenerator.Noise(parameters.Generator, (int)real.shape[0], context.Generator);
        var terms = SingleLoss.Terms(parameters.Generator, discriminator.Weights, real, noise, lambda);
        var metrics = new Dictionary<string, torch.Tensor> { [DiscriminatorLossName] = terms.DiscriminatorLoss, [GeneratorLossName] = terms.GeneratorLoss };
        return new ModelOutput<GanState>(terms.Total, metrics) { NextState = discriminator.Spectral is null ? null : new GanState(discriminator.Spectral) };
    };
}
