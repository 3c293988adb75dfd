using Functional.Training;
using TorchSharp;
namespace Functional.Models.Titles;

/// <summary>How <c>titles train</c> runs.</summary>
/// <param name="DataDirectory">The corpus (<see cref="TitleCorpus.Load"/>): a folder with train.tsv (+ val.tsv) or train.jsonl (+ val.jsonl), or one file; LCSTS part II by default.</param>
/// <param name="OutDirectory">Receives the model, checkpoints, metrics log and charts; a run there is resumed.</param>
/// <param name="Model">The model's shape.</param>
/// <param name="MinCount">Characters seen fewer times in the training texts read as unknown.</param>
/// <param name="Epochs">Passes over the training pairs (the time budget may end the run earlier).</param>
/// <param name="BatchSize">Pairs per step.</param>
/// <param name="LearningRate">Adam's peak learning rate (after warm-up; cosine decay to a tenth over the planned steps).</param>
/// <param name="WarmupSteps">Steps of linear warm-up.</param>
/// <param name="ClipNorm">Gradients are clipped to this global norm.</param>
/// <param name="Minutes">Wall-time budget of this invocation, evaluation included (0: no budget).</param>
/// <param name="ValidationSubset">Validation pairs scored (greedy) after each epoch to keep the best model; 0 scores none and keeps the latest model. All pairs are scored at the end.</param>
/// <param name="Seed">Seeds initialisation, batch order and dropout.</param>
/// <param name="Threads">
/// libtorch intra-op threads the run was asked for (0: the application's default). A library never sets libtorch's
/// threads: the application applies this before the run (the command line's <c>--threads</c>, before the command runs).
/// </param>
public sealed record TitleTrainingOptions(
    string DataDirectory, string OutDirectory, TitleModelOptions Model, int MinCount, int Epochs, int BatchSize,
    double LearningRate, int WarmupSteps, double ClipNorm, double Minutes, int ValidationSubset, int Seed, int Threads)
{
    /// <summary>
    /// Decay of an exponential moving average of the weights kept beside them (<c>ParameterEma</c>, bias-corrected);
    /// when above 0, validation, the kept model and the final scores use the average; 0: none. 0.999 by default (an
    /// average over about four epochs of LCSTS part II: it peaks later and higher than the raw weights, which overfit
    /// after the third epoch; docs/articles/titles.md).
    /// </summary>
    public double Ema { get; init; } = 0.999;

    /// <summary>
    /// Label smoothing of the training loss, in [0, 1): a share spread evenly over the vocabulary
    /// (<see cref="TitleLoss.Apply(TitleModelParams, TitleBatch, TitleModelOptions, bool, TorchSharp.torch.Generator, Core.Capture, double)"/>);
    /// validation reports the plain cross-entropy. 0 (the default): none.
    /// </summary>
    public double LabelSmoothing { get; init; }

    /// <summary>How the corpus is read and validation pairs held out (<see cref="TitleCorpusOptions.Default"/>).</summary>
    public TitleCorpusOptions Corpus { get; init; } = TitleCorpusOptions.Default;

    /// <summary>
    /// Threads that collate batches (padding and masks) ahead of the training step (<see cref="BatchLoader"/>); the
    /// batches and their order are the same for any number. 2 by default.
    /// </summary>
    public int Workers { get; init; } = 2;

    /// <summary>
    /// The whole train state is checkpointed every this many steps (besides every epoch's end), so that a crash or a
    /// <c>kill -9</c> loses at most this much work; the run in the same out directory resumes from the newest. 0: epoch
    /// ends only. 100 by default (about three minutes of the default job on two cores; a checkpoint takes well under a
    /// second).
    /// </summary>
    public int CheckpointEverySteps { get; init; } = 100;

    /// <summary>
    /// Start afresh at step 0 even though the out directory holds checkpoints: they are deleted, with the best score,
    /// and the metrics log is cut to nothing. Without it a run resumes, and refuses to start when the checkpoints there
    /// cannot be read (rather than silently starting over). False by default.
    /// </summary>
    public bool Restart { get; init; }

    /// <summary>
    /// The device the model is made, trained and evaluated on; null: torch's default device
    /// (<c>torch.get_default_device()</c>, which the application chooses). The command line sets it from <c>--device</c>.
    /// </summary>
    public torch.Device? Device { get; init; }

    /// <summary>
    /// A pretrained UniLM's folder (<c>titles pretrain --out</c>) whose parameters start a fresh run bit for bit (copy
    /// prior included) instead of drawn ones; its vocabulary and every tensor's shape must be this run's
    /// (<see cref="Pretraining.PretrainedStart"/>). Only for <see cref="TitleModelKinds.UniLm"/>; a run that resumes from
    /// its own checkpoints ignores it. Null (the default): drawn parameters.
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// The settings of the README's main job: 30 minutes on LCSTS part II into runs/titles; characters seen at least 5
    /// times (3,201 of them, 99.7% of title characters), 10 epochs of batches of 32 planned for the cosine schedule
    /// (peak 0.003 after 50 warm-up steps), gradients clipped to norm 1, an average of the weights (<see cref="Ema"/>)
    /// validated by ROUGE on 200 pairs per epoch.
    /// </summary>
    public static TitleTrainingOptions Default { get; } = new(
        "../shared/data/lcsts-part2-clge", "runs/titles", TitleModelOptions.Default, 5, 10, 32, 3e-3, 50, 1.0, 30, 200, 1, 0);
}
