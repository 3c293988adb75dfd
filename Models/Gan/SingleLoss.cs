using Functional.Core;
using TorchSharp;

namespace Functional.Models.Gan;

/// <summary>The parts of the single GAN loss, all 0-dimensional tensors of one graph.</summary>
/// <param name="Total">The loss to differentiate: <c>DiscriminatorLoss + λ · AddedTerm</c>.</param>
/// <param name="DiscriminatorLoss">The hinge loss of the discriminator on real digits and stopped-gradient samples.</param>
/// <param name="GeneratorLoss">The hinge loss of the generator, <c>g(D(G(z)))</c>.</param>
/// <param name="AddedTerm"><c>g(D(G(z))) - g(D(sg(G(z))))</c>: exactly zero in value.</param>
public sealed record SingleLossTerms(torch.Tensor Total, torch.Tensor DiscriminatorLoss, torch.Tensor GeneratorLoss, torch.Tensor AddedTerm);

/// <summary>
/// Both GAN losses as one, through stop-gradient (<c>sg</c>):
/// <c>L = d(x, sg(G(z))) + λ · (g(D(G(z))) - g(D(sg(G(z)))))</c>, with <c>d</c>, <c>g</c> the hinge losses.
/// </summary>
/// <remarks>
/// The laws (property-tested): the added term is exactly 0 in value, because both of its halves are the same
/// function of the same numbers; its gradient with respect to the discriminator is zero up to float32 rounding,
/// because the two halves differ only in where the gradient may flow, and the generator is reached only through
/// <c>G(z)</c> in its first half. So ∂L/∂θ_D = ∂d/∂θ_D and ∂L/∂θ_G = λ · ∂g(D(G(z)))/∂θ_G: one backward pass gives
/// the discriminator its own gradient and the generator its own, which a classic GAN computes in two passes.
/// </remarks>
public static class SingleLoss
{
    /// <summary>
    /// The terms for real digits <paramref name="real"/> [batch, 784] in [-1, 1] and noise <paramref name="noise"/>
    /// [samples, noiseSize]; the discriminator is applied with its weights spectrally normalised with
    /// <paramref name="spectral"/> used as given (null: no spectral normalisation), normalised once for its three uses. Pure.
    /// </summary>
    public static SingleLossTerms Terms(GanParams parameters, SpectralVectors? spectral, torch.Tensor real, torch.Tensor noise, double lambda) =>
        Terms(parameters.Generator, Discriminator.Normalize(parameters.Discriminator, spectral, training: false).Weights, real, noise, lambda);

    /// <summary>
    /// The terms with the discriminator's weights as given (<paramref name="discriminator"/> already normalised, see
    /// <see cref="Discriminator.Normalize"/>; the gradient flows through whatever made them). Pure.
    /// </summary>
    public static SingleLossTerms Terms(GeneratorParams generator, DiscriminatorParams discriminator, torch.Tensor real, torch.Tensor noise, double lambda)
    {
        var samples = GanGenerator.Apply(generator, noise);
        var stoppedSamples = Autodiff.StopGradient(samples);
        var realScores = Discriminator.Apply(discriminator, real);
        var stoppedScores = Discriminator.Apply(discriminator, stoppedSamples);
        var scores = Discriminator.Apply(discriminator, samples);
        var discriminatorLoss = Hinge.DiscriminatorLoss(realScores, stoppedScores);
        var generatorLoss = Hinge.GeneratorLoss(scores);
        var added = generatorLoss - Hinge.GeneratorLoss(stoppedScores);
        using var weight = lambda.ToScalar();
        return new SingleLossTerms(discriminatorLoss.add(added.mul(weight), Scalars.One), discriminatorLoss, generatorLoss, added);
    }

    /// <summary>The total of <see cref="Terms(GanParams, SpectralVectors?, torch.Tensor, torch.Tensor, double)"/>: the one loss to differentiate.</summary>
    public static torch.Tensor Loss(GanParams parameters, SpectralVectors? spectral, torch.Tensor real, torch.Tensor noise, double lambda) =>
        Terms(parameters, spectral, real, noise, lambda).Total;

    /// <summary>The discriminator's loss alone, <c>d(x, sg(G(z)))</c> (vectors used as given): its gradient reaches the discriminator only.</summary>
    public static torch.Tensor DiscriminatorLoss(GanParams parameters, SpectralVectors? spectral, torch.Tensor real, torch.Tensor noise)
    {
        var discriminator = Discriminator.Normalize(parameters.Discriminator, spectral, training: false).Weights;
        var samples = Autodiff.StopGradient(GanGenerator.Apply(parameters.Generator, noise));
        return Hinge.DiscriminatorLoss(Discriminator.Apply(discriminator, real), Discriminator.Apply(discriminator, samples));
    }

    /// <summary>The generator's loss alone, <c>g(D(G(z)))</c> (vectors used as given): its gradient reaches both networks.</summary>
    public static torch.Tensor GeneratorLoss(GanParams parameters, SpectralVectors? spectral, torch.Tensor noise) =>
        Hinge.GeneratorLoss(Discriminator.Apply(Discriminator.Normalize(parameters.Discriminator, spectral, training: false).Weights, GanGenerator.Apply(parameters.Generator, noise)));
}
