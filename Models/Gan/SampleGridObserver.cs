using Functional.Core;
using TorchSharp;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>The samples of one finished (or stopped) epoch.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="Step">Steps taken so far.</param>
/// <param name="GridPath">The PNG written from the fixed grid noise.</param>
/// <param name="Score">The scoring classifier's verdict on <see cref="GanTraining.ScoredSamples"/> samples from fixed noise, or null without a classifier.</param>
public sealed record GanEpochSamples(int Epoch, long Step, string GridPath, SampleScore? Score);

/// <summary>
/// Watches a GAN fit: at the end of every epoch (also one cut short by the time budget or a cancellation) writes
/// <c>OUT/samples/epoch-NNNN.png</c>, a square grid of samples from fixed noise drawn by the sampling generator
/// (<see cref="GanOptimizer.SamplingGenerator"/>), scores samples from other fixed noise with the classifier when one
/// is given, and tells <c>onSamples</c>. The noise is drawn once, from the run's seed, so the grids of successive
/// epochs (and of a resumed run) show the same latent points.
/// </summary>
public sealed class SampleGridObserver : IFitObserver, IDisposable
{
    readonly string folder;
    readonly int columns;
    readonly torch.Tensor gridNoise;
    readonly torch.Tensor scoreNoise;
    readonly ScoringClassifier? scorer;
    readonly Action<GanEpochSamples> onSamples;
    readonly torch.Generator scoring;

    /// <summary>
    /// Writes into <paramref name="outputDirectory"/>/samples grids of <paramref name="columns"/>² samples; the noise
    /// is drawn for <paramref name="options"/>' noise size and seed on <paramref name="device"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="columns"/> is below 1.</exception>
    public SampleGridObserver(string outputDirectory, int columns, GanOptions options, torch.Device device, ScoringClassifier? scorer, Action<GanEpochSamples> onSamples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        folder = Path.Combine(outputDirectory, "samples");
        this.columns = columns;
        this.scorer = scorer;
        this.onSamples = onSamples;
        using var generator = new torch.Generator((ulong)options.Seed + 7919, device);
        gridNoise = torch.randn([columns * columns, options.NoiseSize], generator: generator, device: device);
        scoreNoise = torch.randn([GanTraining.ScoredSamples, options.NoiseSize], generator: generator, device: device);
        scoring = new torch.Generator(0, device);
    }

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        var state = end.State as TrainState<GanParams, GanState>
            ?? throw new InvalidOperationException($"{nameof(SampleGridObserver)} watches GAN fits (TrainState<{nameof(GanParams)}>), got {end.State!.GetType().Name}.");
        var epoch = end.Report.Epoch + 1;
        var path = Path.Combine(folder, $"epoch-{epoch:D4}.png");
        using var scope = torch.NewDisposeScope();
        var sampling = GanOptimizer.SamplingGenerator(state);
        SampleGrid.WritePng(path, GanTraining.Sample(sampling, gridNoise), columns, scale: 2);
        var score = scorer is null ? null : SampleScoring.Score(scorer.Classifier, GanTraining.Sample(sampling, scoreNoise), SampleScoring.DefaultThreshold, scoring);
        onSamples(new GanEpochSamples(epoch, state.Step, path, score));
        return FitDecision.Continue;
    }

    /// <summary>Releases the fixed noise and the scoring generator.</summary>
    public void Dispose()
    {
        gridNoise.Dispose();
        scoreNoise.Dispose();
        scoring.Dispose();
    }
}
