namespace Functional.Models.Gan;

/// <summary>
/// Everything a GAN step reads and returns: a tree (its tensors are the parameters, the optimizer state's tensors
/// and the spectral vectors), so a step moves it out of its dispose scope whole.
/// </summary>
/// <param name="Parameters">Both networks.</param>
/// <param name="OptimizerState">The state of <see cref="GanOptimizer.Joint"/>.</param>
/// <param name="Spectral">The discriminator's power-iteration vectors, or null without spectral normalisation; advanced by each step without gradients, never seen by the optimizer.</param>
/// <param name="Step">Steps taken.</param>
public sealed record GanState(GanParams Parameters, object OptimizerState, SpectralVectors? Spectral, long Step)
{
    /// <summary>A fresh state: new networks from <paramref name="generator"/>, the optimizer's initial state, starting spectral vectors when <c>options.SpectralNorm</c>.</summary>
    public static GanState Init(TorchSharp.torch.Generator generator, GanOptions options, GanOptimizer optimizer, TorchSharp.torch.Device device)
    {
        var parameters = GanParams.Init(generator, options, device);
        var spectral = options.SpectralNorm ? Gan.Discriminator.InitSpectral(generator, parameters.Discriminator) : null;
        return new GanState(parameters, optimizer.Init(parameters), spectral, 0);
    }
}

/// <summary>The losses of one step, measured before its update.</summary>
/// <param name="DiscriminatorLoss">The hinge loss of the discriminator.</param>
/// <param name="GeneratorLoss">The hinge loss of the generator.</param>
public sealed record GanMetrics(double DiscriminatorLoss, double GeneratorLoss);

/// <summary>What a GAN step returns.</summary>
/// <param name="State">The next state; the old one is untouched.</param>
/// <param name="Metrics">The step's losses.</param>
public sealed record GanStepResult(GanState State, GanMetrics Metrics);
