using Functional.Core;
using TorchSharp;
using Functional.Models.Digits;
using Functional.Models.Gan;
using Functional.Training;

namespace Functional.PropertyTests.Gan;

/// <summary>A small random GAN case: networks, spectral vectors (or none), real digits, noise and λ.</summary>
public sealed record GanCase(GanParams Parameters, SpectralVectors? Spectral, torch.Tensor Real, torch.Tensor Noise, double Lambda, GanOptions Options);

/// <summary>Random small GAN cases from a seed, and leaf-by-leaf comparisons of gradient trees.</summary>
public static class GanTesting
{
    /// <summary>
    /// Networks of width 1..4 (noise 1..5), 1..5 real digits in [-1, 1] and as many noise rows, λ in [0.1, 10],
    /// spectral normalisation on or off; all drawn from <paramref name="seed"/>.
    /// </summary>
    public static GanCase RandomCase(int seed)
    {
        var random = new Random(seed);
        using var generator = new torch.Generator(unchecked((ulong)(uint)seed));
        var options = GanOptions.Default with
        {
            NoiseSize = random.Next(1, 6), GeneratorHidden = random.Next(1, 5), DiscriminatorHidden = random.Next(1, 5),
            SpectralNorm = random.Next(2) == 0, BatchSize = random.Next(1, 6),
        };
        var parameters = GanParams.Init(generator, options, torch.CPU);
        var spectral = options.SpectralNorm ? Discriminator.InitSpectral(generator, parameters.Discriminator) : null;
        var real = torch.rand([options.BatchSize, DigitClassifier.Pixels], generator: generator).mul(Scalars.Two).sub(Scalars.One);
        var noise = GanGenerator.Noise(parameters.Generator, options.BatchSize, generator);
        return new GanCase(parameters, spectral, real, noise, Math.Exp(random.NextDouble() * Math.Log(100)) / 10, options);
    }

    /// <summary>
    /// The train state of <paramref name="gan"/> before its first step: its networks, spectral vectors as model state,
    /// the initial state of <paramref name="optimizer"/>, a generator seeded with <paramref name="seed"/> (aliases throughout).
    /// </summary>
    public static TrainState<GanParams, GanState> State(GanCase gan, Functional.Optimizers.IGradientTransformation optimizer, ulong seed) =>
        TrainState.Init(gan.Parameters, new GanState(gan.Spectral), optimizer, seed);

    /// <summary>A generator in the train state's random state: it draws what the state's next step draws.</summary>
    public static torch.Generator Draws<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        var generator = new torch.Generator(0);
        generator.set_state(state.RandomState);
        return generator;
    }

    /// <summary>One single-loss step (<see cref="GanModel.Loss"/>) through <paramref name="optimizer"/>.</summary>
    public static StepResult<GanParams, GanState> SingleStep(Functional.Optimizers.IGradientTransformation optimizer, double lambda, TrainState<GanParams, GanState> state, torch.Tensor real) =>
        TrainingSteps.Step(GanModel.Loss(lambda), optimizer, state, real);

    /// <summary>
    /// The leaves of <paramref name="actual"/> that differ from <paramref name="expected"/> by more than
    /// <c>1e-5 · scale</c>, one line each: float32 rounding (about 80 units in the last place) of gradients whose
    /// contributions are of size <paramref name="scale"/> (see <see cref="Magnitude"/>).
    /// </summary>
    public static IEnumerable<string> Differences<T>(string what, T expected, T actual, double scale)
    {
        var (left, right) = (Tree.Flatten(expected), Tree.Flatten(actual));
        var tolerance = 1e-5 * scale;
        for (var i = 0; i < left.Count; i++)
        {
            var error = (left[i].Value - right[i].Value).abs().max().item<float>();
            if (!(error <= tolerance))
                yield return $"{what} '{left[i].Path}': max difference {error:G3} > tolerance {tolerance:G3}";
        }
    }

    /// <summary>
    /// The size of a network's gradient contributions: the largest absolute element over all leaves of each tree,
    /// summed over the trees. (Leaf by leaf would be too strict: spectral normalisation projects a gradient, and a
    /// projection that cancels to nearly 0 leaves rounding of the size of what it cancelled.)
    /// </summary>
    public static double Magnitude<T>(params T[] trees) =>
        trees.Sum(tree => Tree.Leaves(tree).Max(leaf => leaf.abs().max().item<float>()));
}
