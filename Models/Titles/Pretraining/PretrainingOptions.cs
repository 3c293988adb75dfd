using TorchSharp;

namespace Functional.Models.Titles.Pretraining;

/// <summary>How <c>titles pretrain</c> runs (<see cref="UniLmPretraining.Run"/>).</summary>
/// <param name="DataDirectory">The corpus (<see cref="TitleCorpus.Load"/>); only its training split's articles are read.</param>
/// <param name="OutDirectory">Receives the pretrained model (model.safetensors, vocabulary.txt), checkpoints and the metrics log; a run there is resumed.</param>
/// <param name="Model">The UniLM's shape: the title model started from it (<c>titles train --init</c>) must have the same.</param>
/// <param name="MinCount">Characters seen fewer times in the training texts read as unknown (the vocabulary is built as <c>titles train</c> builds it).</param>
/// <param name="Epochs">Passes over the training articles (planned for the learning-rate schedule; the time budget may end the run earlier).</param>
/// <param name="BatchSize">Articles per step.</param>
/// <param name="LearningRate">Adam's peak learning rate (after warm-up; cosine decay to a tenth over the planned steps).</param>
/// <param name="WarmupSteps">Steps of linear warm-up.</param>
/// <param name="ClipNorm">Gradients are clipped to this global norm.</param>
/// <param name="Minutes">Wall-time budget of this invocation (0: none).</param>
/// <param name="Seed">Seeds initialisation, batch order, the spans drawn and dropout.</param>
/// <param name="Threads">
/// libtorch intra-op threads the run was asked for (0: the application's default). A library never sets libtorch's
/// threads: the application applies this before the run (the command line's <c>--threads</c>, before the command runs).
/// </param>
public sealed record PretrainingOptions(
    string DataDirectory, string OutDirectory, TitleModelOptions Model, int MinCount, int Epochs, int BatchSize,
    double LearningRate, int WarmupSteps, double ClipNorm, double Minutes, int Seed, int Threads)
{
    /// <summary>Decay of the weight average saved as the pretrained model (0: the raw weights). 0.999 as <c>titles train</c>.</summary>
    public double Ema { get; init; } = 0.999;

    /// <summary>How the corpus is read and validation pairs held out (those are never read here).</summary>
    public TitleCorpusOptions Corpus { get; init; } = TitleCorpusOptions.Default;

    /// <summary>Threads that collate batches ahead of the step; the batches are the same for any number.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>The train state is checkpointed every this many steps besides every epoch's end (0: epoch ends only).</summary>
    public int CheckpointEverySteps { get; init; } = 100;

    /// <summary>Delete the checkpoints in the out folder and start over instead of resuming.</summary>
    public bool Restart { get; init; }

    /// <summary>The device; null: torch's default device.</summary>
    public torch.Device? Device { get; init; }

    /// <summary>
    /// The settings of <c>titles pretrain</c> by default: <see cref="TitleTrainingOptions.Default"/>'s corpus, vocabulary,
    /// batch, clipping, seed, threads, weight average, workers and checkpoints, and its model's sizes as a
    /// <see cref="TitleModelKinds.UniLm"/> (what <c>titles train --model unilm --init</c> starts from); into
    /// runs/titles-pretrain, 10 minutes, 5 epochs planned for the cosine schedule, peak 0.001 after 100 warm-up steps.
    /// </summary>
    public static PretrainingOptions Default { get; } = FromTraining(TitleTrainingOptions.Default);

    static PretrainingOptions FromTraining(TitleTrainingOptions t) =>
        new(t.DataDirectory, "runs/titles-pretrain", t.Model with { Kind = TitleModelKinds.UniLm }, t.MinCount, 5, t.BatchSize, 1e-3, 100, t.ClipNorm, 10, t.Seed, t.Threads)
        {
            Ema = t.Ema, Workers = t.Workers, CheckpointEverySteps = t.CheckpointEverySteps, Corpus = t.Corpus,
        };
}
