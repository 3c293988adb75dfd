using Functional.Core;
using TorchSharp;
using Functional.Models.Digits;

namespace Functional.Models.Gan;

/// <summary>
/// The generator of the GAN example: an MLP from noise to a 28x28 digit, <c>noise -> hidden -> 2·hidden -> 784</c>
/// with ReLU between the layers and tanh at the end, so pixels lie in (-1, 1). Paths: <c>input/weight</c>, ...,
/// <c>output/bias</c>.
/// </summary>
/// <param name="Input">Noise to <c>hidden</c> features.</param>
/// <param name="Hidden">hidden to 2·hidden features.</param>
/// <param name="Output">2·hidden features to 784 pixels.</param>
public sealed record GeneratorParams(LinearParams Input, LinearParams Hidden, LinearParams Output)
{
    /// <summary>The number of noise values one sample is made from (the input width).</summary>
    public long NoiseSize => Input.Weight.shape[1];
}

/// <summary>Initialises and applies <see cref="GeneratorParams"/>.</summary>
public static class GanGenerator
{
    /// <summary>A fresh generator from <paramref name="noiseSize"/> noise values, float32 on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public static GeneratorParams Init(torch.Generator generator, int noiseSize, int hidden, torch.Device device) =>
        new(Linear.Init(generator, noiseSize, hidden, device),
            Linear.Init(generator, hidden, 2 * hidden, device),
            Linear.Init(generator, 2 * hidden, DigitClassifier.Pixels, device));

    /// <summary>
    /// Images [batch, 784] in (-1, 1) for <paramref name="noise"/> [batch, noiseSize]. Pure; a noise of the wrong
    /// width is a <see cref="LayerInputException"/> naming the layer.
    /// </summary>
    public static torch.Tensor Apply(GeneratorParams parameters, torch.Tensor noise)
    {
        var hidden = Activations.Relu(Linear.Apply(parameters.Input, noise));
        hidden = Activations.Relu(Linear.Apply(parameters.Hidden, hidden));
        return Activations.Tanh(Linear.Apply(parameters.Output, hidden));
    }

    /// <summary>Standard normal noise [<paramref name="count"/>, noiseSize] drawn with <paramref name="generator"/> on the parameters' device.</summary>
    public static torch.Tensor Noise(GeneratorParams parameters, int count, torch.Generator generator) =>
        torch.randn([count, parameters.NoiseSize], dtype: parameters.Input.Weight.dtype, device: parameters.Input.Weight.device, generator: generator);
}
