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
    /// <c>titles pretrain</c>: in-domain pretraining of the UniLM title model (span infilling on the training split's
    /// articles, <see cref="UniLmPretraining"/>); <c>titles train --model unilm --init</c> starts from what it writes.
    /// </summary>
    static Command Pretrain(CommandContext context)
    {
        var d = Defaults;
        var m = d.Model;
        var data = Data();
        var output = Flags.Folder("--out", "runs/titles-pretrain", "receives the pretrained model, checkpoints and metrics.jsonl; a run there is resumed");
        var minutes = Flags.Minutes(10, "wall-time budget of this run");
        var epochs = Flags.Count("--epochs", 5, "passes over the training articles (planned for the learning-rate schedule)");
        var batch = Flags.Size("--batch", d.BatchSize, "articles per step", Sizes.Batch);
        var learningRate = Flags.Number("--learning-rate", 1e-3, "Adam's peak learning rate (after warm-up; cosine decay to a tenth)", Bounds.Positive);
        var warmup = Flags.Integer("--warmup", 100, "steps of linear warm-up", 0);
        var clip = Flags.Number("--clip", d.ClipNorm, "gradients are clipped to this global norm", Bounds.Positive);
        var minCount = Flags.Count("--min-count", d.MinCount, "characters seen fewer times read as unknown (as titles train: the vocabularies must match)");
        var seed = Flags.Seed(d.Seed, "seeds initialisation, batch order, the spans drawn and dropout");
        var threads = LibtorchThreads.Option(d.Threads);
        var ema = Flags.Number("--ema", d.Ema, "decay of the weight average saved as the pretrained model (0: the raw weights)", Bounds.Decay);
        var workers = Flags.Workers(d.Workers, "threads that collate batches ahead of the step");
        var embedding = Flags.Size("--embedding", m.EmbeddingSize, "the UniLM's width", Sizes.Width);
        var layers = Flags.Size("--decoder-layers", m.DecoderLayers, "the UniLM's transformer blocks", Sizes.Layers);
        var outputHidden = Flags.Size("--output-hidden", m.OutputHidden, "the UniLM's feed-forward width", Sizes.Width);
        var dropout = Flags.Number("--dropout", m.Dropout, "dropout rate on embeddings and residuals", Bounds.Decay);
        var maxArticle = Flags.Size("--max-article", m.MaxArticleLength, "articles are cut to this many characters", Sizes.SequenceLength);
        var maxTitle = Flags.Size("--max-title", m.MaxTitleLength, "spans are cut to this many characters", Sizes.SequenceLength);
        var checkpointEvery = Flags.Integer("--checkpoint-every", d.CheckpointEverySteps, "a checkpoint every N steps too (0: at epoch ends only)", 0);
        var restart = Flags.Switch("--restart", false, "delete the checkpoints in --out and start over instead of resuming");
        var device = Devices.Option();
        var corpus = new CorpusFlags();
        var command = new Command("pretrain", "pretrain the UniLM title model on the training articles (span infilling) for titles train --model unilm --init")
        {
            data, output, minutes, epochs, batch, learningRate, warmup, clip, minCount, seed, threads, ema, workers,
            embedding, layers, outputHidden, dropout, maxArticle, maxTitle, checkpointEvery, restart, device,
        };
        corpus.AddTo(command);
        Flags.CheckPaths(command, data, output);
        command.SetAction(parsed =>
        {
            var model = (m with
            {
                EmbeddingSize = parsed.GetValue(embedding), DecoderLayers = parsed.GetValue(layers), OutputHidden = parsed.GetValue(outputHidden),
                Dropout = parsed.GetValue(dropout), MaxArticleLength = parsed.GetValue(maxArticle), MaxTitleLength = parsed.GetValue(maxTitle),
                Kind = TitleModelKinds.UniLm,
            }).Validate();
            var options = new PretrainingOptions(
                parsed.GetValue(data)!, parsed.GetValue(output)!, model, parsed.GetValue(minCount), parsed.GetValue(epochs), parsed.GetValue(batch),
                parsed.GetValue(learningRate), parsed.GetValue(warmup), parsed.GetValue(clip), parsed.GetValue(minutes), parsed.GetValue(seed), parsed.GetValue(threads))
            {
                Ema = parsed.GetValue(ema), Workers = parsed.GetValue(workers), Device = Devices.Parse(parsed.GetValue(device)!),
                CheckpointEverySteps = parsed.GetValue(checkpointEvery), Restart = parsed.GetValue(restart), Corpus = corpus.Options(parsed),
            };
            using var progress = ProgressObserver.Console();
            var chart = new LossChartObserver(Path.Combine(options.OutDirectory, "loss.png"), UniLmPretraining.MetricsLogPath(options.OutDirectory));
            // Started by mpirun: data-parallel over the job's processes, rank 0 alone writing (DataParallelJob).
            DataParallelJob.Run(context, Functional.Distributed.DataParallelRunOptions.Default, group =>
                UniLmPretraining.Run(options, context.Output, group.IsRoot ? [new ModelSummaryObserver(context.Output), progress, chart] : [], context.Stop, group));
        });
        return command;
    }
}
