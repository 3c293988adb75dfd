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
/// The power-iteration vectors of a spectrally normalised discriminator, one per weight (paths <c>input</c>,
/// <c>hidden</c>, <c>output</c>). They are state carried beside the parameters, never trained.
/// </summary>
/// <param name="Input">[2·hidden].</param>
/// <param name="Hidden">[hidden].</param>
/// <param name="Output">[1].</param>
public sealed record SpectralVectors(torch.Tensor Input, torch.Tensor Hidden, torch.Tensor Output);

/// <summary>Initialises and applies <see cref="DiscriminatorParams"/>, optionally with spectral normalisation.</summary>
public static class Discriminator
{
    /// <summary>Power iterations run on the starting vectors, as PyTorch's <c>spectral_norm</c> does.</summary>
    public const int InitialPowerIterations = 15;

    /// <summary>A fresh discriminator, float32 on <paramref name="device"/>, with leaky-ReLU slope <paramref name="leakySlope"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hidden"/> is below 1.</exception>
    public static DiscriminatorParams Init(torch.Generator generator, int hidden, double leakySlope, torch.Device device) =>
        new(Linear.Init(generator, DigitClassifier.Pixels, 2 * hidden, device),
            Linear.Init(generator, 2 * hidden, hidden, device),
            Linear.Init(generator, hidden, 1, device),
            leakySlope);

    /// <summary>Starting power-iteration vectors for <paramref name="parameters"/>' weights.</summary>
    public static SpectralVectors InitSpectral(torch.Generator generator, DiscriminatorParams parameters) =>
        new(SpectralNorm.InitVector(generator, parameters.Input.Weight, InitialPowerIterations),
            SpectralNorm.InitVector(generator, parameters.Hidden.Weight, InitialPowerIterations),
            SpectralNorm.InitVector(generator, parameters.Output.Weight, InitialPowerIterations));

    /// <summary>The vectors after one power iteration on each of <paramref name="parameters"/>' weights (no gradients; fresh tensors).</summary>
    public static SpectralVectors AdvanceSpectral(DiscriminatorParams parameters, SpectralVectors vectors) =>
        new(SpectralNorm.Iterate(parameters.Input.Weight, vectors.Input),
            SpectralNorm.Iterate(parameters.Hidden.Weight, vectors.Hidden),
            SpectralNorm.Iterate(parameters.Output.Weight, vectors.Output));

    /// <summary>
    /// Scores [batch] for <paramref name="images"/> [batch, 784]; higher means "real". With
    /// <paramref name="spectral"/> each weight is divided by its spectral norm estimated from the given vectors
    /// (which are used as they are, not advanced); with null the weights are used plainly. Pure.
    /// </summary>
    public static torch.Tensor Apply(DiscriminatorParams parameters, SpectralVectors? spectral, torch.Tensor images)
    {
        var hidden = Activations.LeakyRelu(Linear.Apply(Layer(parameters.Input, spectral?.Input), images), parameters.LeakySlope);
        hidden = Activations.LeakyRelu(Linear.Apply(Layer(parameters.Hidden, spectral?.Hidden), hidden), parameters.LeakySlope);
        return Linear.Apply(Layer(parameters.Output, spectral?.Output), hidden).squeeze(-1);
    }

    static LinearParams Layer(LinearParams layer, torch.Tensor? u) =>
        u is null ? layer : layer with { Weight = SpectralNorm.Normalize(layer.Weight, u) };
}
