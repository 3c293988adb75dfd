namespace Functional.Models.Gan;

/// <summary>How the two networks of the GAN are updated.</summary>
public enum GanUpdate
{
    /// <summary>One loss, one backward pass, one optimizer call per step (<see cref="GanModel.Loss"/>).</summary>
    SingleLoss,
    /// <summary>A discriminator step then a generator step, each with its own pass (<see cref="AlternatingStep"/>).</summary>
    Alternating,
}

/// <summary>How the GAN example is built and trained.</summary>
/// <param name="DataDirectory">Holds the MNIST t10k files.</param>
/// <param name="Epochs">Passes over the 10,000 digits.</param>
/// <param name="BatchSize">Real digits (and generated ones) per step.</param>
/// <param name="NoiseSize">Noise values per sample.</param>
/// <param name="GeneratorHidden">Generator widths: hidden, then 2·hidden.</param>
/// <param name="DiscriminatorHidden">Discriminator widths: 2·hidden, then hidden.</param>
/// <param name="LeakySlope">The discriminator's leaky-ReLU slope.</param>
/// <param name="SpectralNorm">Whether the discriminator's weights are spectrally normalised.</param>
/// <param name="GeneratorLearningRate">Adam step size of the generator.</param>
/// <param name="DiscriminatorLearningRate">Adam step size of the discriminator.</param>
/// <param name="B1">Adam first-moment decay.</param>
/// <param name="B2">Adam second-moment decay.</param>
/// <param name="Lambda">The weight λ of the generator's term in the single loss.</param>
/// <param name="GeneratorEma">The decay of an average of the generator's weights kept by its pipeline (<see cref="Optimizers.ParameterEma"/>) and used for sampling; 0 keeps none.</param>
/// <param name="Update">Single-loss or alternating steps.</param>
/// <param name="Seed">Seeds initialisation, shuffling and noise.</param>
public sealed record GanOptions(
    string DataDirectory, int Epochs, int BatchSize, int NoiseSize, int GeneratorHidden, int DiscriminatorHidden, double LeakySlope,
    bool SpectralNorm, double GeneratorLearningRate, double DiscriminatorLearningRate, double B1, double B2, double Lambda,
    double GeneratorEma, GanUpdate Update, int Seed)
{
    /// <summary>
    /// An MLP hinge GAN on MNIST t10k: noise 64 -> 128 -> 256 -> 784 and 784 -> 256 -> 128 -> 1 with spectral
    /// normalisation and slope 0.2, batch 64, Adam(b1 0.5, b2 0.999) with step 2e-4 for the generator and 4e-4 for the
    /// discriminator (two time scales), λ = 1, samples from an average of the generator's weights (decay 0.999),
    /// single-loss steps, 100 epochs.
    /// </summary>
    public static GanOptions Default { get; } = new(
        "../shared/data/mnist-t10k", 100, 64, 64, 128, 128, 0.2, true, 2e-4, 4e-4, 0.5, 0.999, 1.0, 0.999, GanUpdate.SingleLoss, 1);

    /// <summary>These options if every value is in range, else an <see cref="ArgumentException"/> naming the first bad one.</summary>
    public GanOptions Validated()
    {
        Positive(Epochs, nameof(Epochs));
        Positive(BatchSize, nameof(BatchSize));
        Positive(NoiseSize, nameof(NoiseSize));
        Positive(GeneratorHidden, nameof(GeneratorHidden));
        Positive(DiscriminatorHidden, nameof(DiscriminatorHidden));
        if (!(LeakySlope >= 0 && LeakySlope < 1)) throw new ArgumentException($"{nameof(LeakySlope)} must be in [0, 1), got {LeakySlope}.");
        if (!(GeneratorLearningRate > 0) || !(DiscriminatorLearningRate > 0)) throw new ArgumentException($"Learning rates must be positive, got {GeneratorLearningRate} and {DiscriminatorLearningRate}.");
        if (!(Lambda > 0) || double.IsInfinity(Lambda)) throw new ArgumentException($"{nameof(Lambda)} must be positive and finite, got {Lambda}.");
        if (!(GeneratorEma >= 0 && GeneratorEma < 1)) throw new ArgumentException($"{nameof(GeneratorEma)} must be in [0, 1) (0: no average), got {GeneratorEma}.");
        if (!Enum.IsDefined(Update)) throw new ArgumentException($"{nameof(Update)} {Update} is not a defined value.");
        return this;
    }

    static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentException($"{name} must be at least 1, got {value}.");
    }
}
