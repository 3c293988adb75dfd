using Functional.Core;
using TorchSharp;
using Functional.Models.Digits;

namespace Functional.Models.Gan;

/// <summary>
/// The discriminator of the GAN example: an MLP from a 28x28 digit (pixels in [-1, 1]) to one score,
/// <c>784 -> 2·hidden -> hidden -> 1</c> with leaky ReLU between the layers. Paths: <c>input/weight</c>, ...,
/// <c>output/bias</c>.
/// </summary>
/// <param name="Input">784 pixels to 2·hidden features.</param>
/// <param name="Hidden">2·hidden to hidden features.</param>
/// <param name="Output">hidden features to the score.</param>
/// <param name="LeakySlope">The slope of the leaky ReLU for negative inputs (configuration, not a parameter).</param>
public sealed record DiscriminatorParams(LinearParams Input, LinearParams Hidden, LinearParams Output, double LeakySlope);

/// <summary>
/// The spectral-normalisation vectors of the discriminator (<see cref="SpectralNorm"/>), one pair per weight: its model
/// state (paths <c>input/u</c>, <c>input/v</c>, ..., <c>output/v</c>), carried beside the parameters, never trained.
/// </summary>
/// <param name="Input">For the [2·hidden, 784] weight.</param>
/// <param name="Hidden">For the [hidden, 2·hidden] weight.</param>
/// <param name="Output">For the [1, hidden] weight.</param>
public sealed record SpectralVectors(SpectralNormState Input, SpectralNormState Hidden, SpectralNormState Output);

/// <summary>The discriminator's weights to apply and its spectral vectors after them (<see cref="Discriminator.Normalize"/>).</summary>
/// <param name="Weights">The parameters with each weight divided by its estimated spectral norm (the parameters themselves without spectral normalisation).</param>
/// <param name="Spectral">The vectors after this step (null without spectral normalisation).</param>
public sealed record NormalizedDiscriminator(DiscriminatorParams Weights, SpectralVectors? Spectral);

/// <summary>Initialises and applies <see cref="DiscriminatorParams"/>, optionally with spectral normalisation.</summary>
public static class Discriminator
{
    /// <summary>A fresh discriminator, float32 on <paramref name="device"/>, with leaky-ReLU slope <paramref name="leakySlope"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hidden"/> is below 1.</exception>
    public static DiscriminatorParams Init(torch.Generator generator, int hidden, double leakySlope, torch.Device device) =>
        new(Linear.Init(generator, DigitClassifier.Pixels, 2 * hidden, device),
            Linear.Init(generator, 2 * hidden, hidden, device),
            Linear.Init(generator, hidden, 1, device),
            leakySlope);

    /// <summary>Starting vectors for <paramref name="parameters"/>' weights (<see cref="SpectralNorm.Init"/> with PyTorch's 15 iterations).</summary>
    public static SpectralVectors InitSpectral(torch.Generator generator, DiscriminatorParams parameters) =>
        new(SpectralNorm.Init(generator, parameters.Input.Weight, SpectralNorm.InitialIterations),
            SpectralNorm.Init(generator, parameters.Hidden.Weight, SpectralNorm.InitialIterations),
            SpectralNorm.Init(generator, parameters.Output.Weight, SpectralNorm.InitialIterations));

    /// <summary>The vectors after one power iteration on each of <paramref name="parameters"/>' weights (no gradients; fresh tensors).</summary>
    public static SpectralVectors AdvanceSpectral(DiscriminatorParams parameters, SpectralVectors vectors) =>
        new(SpectralNorm.Iterate(parameters.Input.Weight, vectors.Input),
            SpectralNorm.Iterate(parameters.Hidden.Weight, vectors.Hidden),
            SpectralNorm.Iterate(parameters.Output.Weight, vectors.Output));

    /// <summary>
    /// The weights to apply: with <paramref name="spectral"/>, each weight through <see cref="SpectralNorm.Apply"/> (in
    /// training one power iteration first; in evaluation the vectors as given), differentiable in the parameters; with
    /// null, the parameters themselves. Computed once per step and applied as often as the loss needs. Pure.
    /// </summary>
    public static NormalizedDiscriminator Normalize(DiscriminatorParams parameters, SpectralVectors? spectral, bool training)
    {
        if (spectral is null) return new(parameters, null);
        var input = SpectralNorm.Apply(parameters.Input.Weight, spectral.Input, training);
        var hidden = SpectralNorm.Apply(parameters.Hidden.Weight, spectral.Hidden, training);
        var output = SpectralNorm.Apply(parameters.Output.Weight, spectral.Output, training);
        return new(parameters with
        {
            Input = parameters.Input with { Weight = input.Weight },
            Hidden = parameters.Hidden with { Weight = hidden.Weight },
            Output = parameters.Output with { Weight = output.Weight },
        }, new SpectralVectors(input.State, hidden.State, output.State));
    }

    /// <summary>Scores [batch] for <paramref name="images"/> [batch, 784] with the weights as given; higher means "real". Pure.</summary>
    public static torch.Tensor Apply(DiscriminatorParams parameters, torch.Tensor images)
    {
        var hidden = Activations.LeakyRelu(Linear.Apply(parameters.Input, images), parameters.LeakySlope);
        hidden = Activations.LeakyRelu(Linear.Apply(parameters.Hidden, hidden), parameters.LeakySlope);
        return Linear.Apply(parameters.Output, hidden).squeeze(-1);
    }
}
