using System.CommandLine;
using Functional.Core;
using Functional.Models.Titles;
using Functional.Models.Titles.Pretraining;
using Functional.Reporting;
using Functional.Training;

namespace Functional.Cli;

public sealed partial class TitleCommands
{
    /// <summary>
    /// The flags of <c>titles pretrain</c>, each declared once with the field of <see cref="PretrainingOptions"/> it sets
    /// (defaults from <see cref="PretrainingOptions.Default"/>; the model is always a <see cref="TitleModelKinds.UniLm"/>),
    /// then the corpus flags (<see cref="CorpusFlags"/>). The record read is checked by <see cref="TitleModelOptions.Validate"/>
    /// and <see cref="TitleCorpusOptions.Validate"/>.
    /// </summary>
    public static FlagTable<PretrainingOptions> PretrainFlags() => new(PretrainingOptions.Default, o => o with { Model = o.Model.Validate() })
    {
        { d => Data(d.DataDirectory), (o, v) => o with { DataDirectory = v } },
        { d => Flags.Folder("--out", d.OutDirectory, "receives the pretrained model, checkpoints and metrics.jsonl; a run there is resumed"), (o, v) => o with { OutDirectory = v } },
        { d => Flags.Minutes(d.Minutes, "wall-time budget of this run"), (o, v) => o with { Minutes = v } },
        { d => Flags.Count("--epochs", d.Epochs, "passes over the training articles (planned for the learning-rate schedule)"), (o, v) => o with { Epochs = v } },
        { d => Flags.Size("--batch", d.BatchSize, "articles per step", Sizes.Batch), (o, v) => o with { BatchSize = v } },
        { d => Flags.Number("--learning-rate", d.LearningRate, "Adam's peak learning rate (after warm-up; cosine decay to a tenth)", Bounds.Positive), (o, v) => o with { LearningRate = v } },
        { d => Flags.Integer("--warmup", d.WarmupSteps, "steps of linear warm-up", 0), (o, v) => o with { WarmupSteps = v } },
        { d => Flags.Number("--clip", d.ClipNorm, "gradients are clipped to this global norm", Bounds.Positive), (o, v) => o with { ClipNorm = v } },
        { d => Flags.Count("--min-count", d.MinCount, "characters seen fewer times read as unknown (as titles train: the vocabularies must match)"), (o, v) => o with { MinCount = v } },
        { d => Flags.Seed(d.Seed, "seeds initialisation, batch order, the spans drawn and dropout"), (o, v) => o with { Seed = v } },
        { d => LibtorchThreads.Option(d.Threads), (o, v) => o with { Threads = v } },
        { d => Flags.Number("--ema", d.Ema, "decay of the weight average saved as the pretrained model (0: the raw weights)", Bounds.Decay), (o, v) => o with { Ema = v } },
        { d => Flags.Workers(d.Workers, "threads that collate batches ahead of the step"), (o, v) => o with { Workers = v } },
        { d => Flags.Size("--embedding", d.Model.EmbeddingSize, "the UniLM's width", Sizes.Width), (o, v) => o with { Model = o.Model with { EmbeddingSize = v } } },
        { d => Flags.Size("--decoder-layers", d.Model.DecoderLayers, "the UniLM's transformer blocks", Sizes.Layers), (o, v) => o with { Model = o.Model with { DecoderLayers = v } } },
        { d => Flags.Size("--output-hidden", d.Model.OutputHidden, "the UniLM's feed-forward width", Sizes.Width), (o, v) => o with { Model = o.Model with { OutputHidden = v } } },
        { d => Flags.Number("--dropout", d.Model.Dropout, "dropout rate on embeddings and residuals", Bounds.Decay), (o, v) => o with { Model = o.Model with { Dropout = v } } },
        { d => Flags.Size("--max-article", d.Model.MaxArticleLength, "articles are cut to this many characters", Sizes.SequenceLength), (o, v) => o with { Model = o.Model with { MaxArticleLength = v } } },
        { d => Flags.Size("--max-title", d.Model.MaxTitleLength, "spans are cut to this many characters", Sizes.SequenceLength), (o, v) => o with { Model = o.Model with { MaxTitleLength = v } } },
        { d => Flags.Integer("--checkpoint-every", d.CheckpointEverySteps, "a checkpoint every N steps too (0: at epoch ends only)", 0), (o, v) => o with { CheckpointEverySteps = v } },
        { d => Flags.Switch("--restart", d.Restart, "delete the checkpoints in --out and start over instead of resuming"), (o, v) => o with { Restart = v } },
        { _ => Devices.Option(), (o, v) => o with { Device = Devices.Parse(v) } },
        { CorpusFlags(), o => o.Corpus, (o, v) => o with { Corpus = v } },
    };

    /// <summary>
    /// <c>titles pretrain</c>: in-domain pretraining of the UniLM title model (span infilling on the training split's
    /// articles, <see cref="UniLmPretraining"/>); <c>titles train --model unilm --init</c> starts from what it writes.
    /// </summary>
    static Command Pretrain(CommandContext context)
    {
        var flags = PretrainFlags();
        var command = new Command("pretrain", "pretrain the UniLM title model on the training articles (span infilling) for titles train --model unilm --init");
        flags.AddTo(command);
        Flags.CheckPaths(command, flags.Find<string>("--data"), flags.Find<string>("--out"));
        command.SetAction(parsed =>
        {
            var options = flags.Read(parsed);
            using var progress = ProgressObserver.Console();
            var chart = new LossChartObserver(Path.Combine(options.OutDirectory, "loss.png"), UniLmPretraining.MetricsLogPath(options.OutDirectory));
            // Started by mpirun: data-parallel over the job's processes, rank 0 alone writing (DataParallelJob).
            DataParallelJob.Run(context, Functional.Distributed.DataParallelRunOptions.Default, group =>
                UniLmPretraining.Run(options, context.Output, group.IsRoot ? [new ModelSummaryObserver(context.Output), progress, chart] : [], context.Stop, group));
        });
        return command;
    }
}
