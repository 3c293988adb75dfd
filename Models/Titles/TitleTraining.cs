using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Models;

/// <summary>One finished (or budget-cut) epoch of title training.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="Step">Optimizer steps so far.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's steps.</param>
/// <param name="TrainAccuracy">Mean teacher-forced token accuracy over the epoch's steps.</param>
/// <param name="Validation">Greedy ROUGE on the validation subset.</param>
/// <param name="Seconds">Wall time since the start of this invocation.</param>
public sealed record TitleEpoch(int Epoch, long Step, double TrainLoss, double TrainAccuracy, RougeScores Validation, double Seconds);

/// <summary>What a training run ends with.</summary>
/// <param name="Model">The model with the best validation-subset ROUGE-L (also saved in the out directory).</param>
/// <param name="Epochs">Every epoch of this invocation.</param>
/// <param name="Validation">Greedy ROUGE of <paramref name="Model"/> on all validation pairs.</param>
/// <param name="Lead">The lead baseline's ROUGE on the same pairs.</param>
public sealed record TitleTrainingResult(TrainedTitleModel Model, IReadOnlyList<TitleEpoch> Epochs, RougeScores Validation, RougeScores Lead);

/// <summary>
/// Trains the title model: Adam with warm-up, cosine decay and global-norm clipping on length-bucketed batches,
/// a checkpoint (parameters, optimizer state, data position) after every epoch so that a run resumes where it
/// stopped, validation ROUGE each epoch, a metrics log and a loss chart.
/// </summary>
public static class TitleTraining
{
    const string CheckpointFolder = "checkpoints";

    /// <summary>Runs training as <paramref name="options"/> say, writing progress to <paramref name="output"/>.</summary>
    /// <exception cref="FileNotFoundException">The data is missing (the message says where it comes from).</exception>
    public static TitleTrainingResult Run(TitleTrainingOptions options, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        var deadline = options.Minutes > 0 ? TimeSpan.FromMinutes(options.Minutes) : TimeSpan.MaxValue;
        var train = ChineseTitleCorpus.Load(options.DataDirectory, Split.Train);
        var validation = ChineseTitleCorpus.Load(options.DataDirectory, Split.Validation);
        Directory.CreateDirectory(options.OutDirectory);
        var vocabularyPath = Path.Combine(options.OutDirectory, "train-vocabulary.txt");
        var vocabulary = File.Exists(vocabularyPath)
            ? CharacterVocabulary.Load(vocabularyPath)
            : CharacterVocabulary.Build(train.SelectMany(p => new[] { p.Title, p.Content }), options.MinCount);
        vocabulary.Save(vocabularyPath);
        var pairs = train.Select(p => TitleBatches.Encode(p, vocabulary, options.Model)).ToArray();
        var subset = validation.Take(options.ValidationSubset).ToArray();
        var batchesPerEpoch = (pairs.Length + options.BatchSize - 1) / options.BatchSize;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{pairs.Length} training pairs, vocabulary {vocabulary.Size} (characters seen at least {options.MinCount} times, 4 reserved ids), articles cut to {options.Model.MaxArticleLength}, {batchesPerEpoch} batches of {options.BatchSize} per epoch."));

        var optimizer = new Chain(new ClipByGlobalNorm(options.ClipNorm), ScaleByAdam.Default,
            new ScaleByLearningRate(new WarmupCosine(options.LearningRate, options.WarmupSteps, Math.Max(1, (long)options.Epochs * batchesPerEpoch - options.WarmupSteps), options.LearningRate / 10)));
        using var generator = new torch.Generator((ulong)options.Seed);
        var store = new CheckpointStore(Path.Combine(options.OutDirectory, CheckpointFolder), keepLast: 2);
        var state = TitleCheckpoint.Resume(store, vocabulary, options.Model, optimizer, generator, output);
        var best = state.BestRougeL;
        var epochs = new List<TitleEpoch>();
        using var log = new MetricsLog(Path.Combine(options.OutDirectory, "metrics.jsonl"));
        var reserve = TimeSpan.FromSeconds(30);

        for (var epoch = state.Epoch; epoch <= options.Epochs; epoch++)
        {
            var plan = TitleBatches.Plan(pairs, options.BatchSize, options.Seed, epoch);
            var bar = new ProgressBar(plan.Count, output, !Console.IsOutputRedirected, TimeSpan.FromSeconds(15), () => clock.Elapsed);
            double lossSum = 0, accuracySum = 0;
            var steps = 0;
            var stopped = false;
            for (var b = state.Batch; b < plan.Count; b++)
            {
                if (clock.Elapsed + reserve > deadline) { stopped = true; break; }
                using var batch = TitleBatches.Collate(plan[b].Select(i => pairs[i]).ToArray(), 1);
                var (parameters, optimizerState, loss, accuracy) = Step(state.Parameters, state.OptimizerState, batch, options.Model, optimizer, generator);
                Tree.Dispose(state.Parameters);
                TitleCheckpoint.DisposeOptimizerState(state.OptimizerState);
                state = state with { Parameters = parameters, OptimizerState = optimizerState, Step = state.Step + 1, Batch = b + 1 };
                lossSum += loss;
                accuracySum += accuracy;
                steps++;
                bar.Update(b + 1, new Dictionary<string, double> { ["loss"] = loss, ["acc"] = accuracy }, new Dictionary<string, double>());
            }
            bar.Finish();
            var validationClock = Stopwatch.StartNew();
            var current = new TrainedTitleModel(state.Parameters, vocabulary, options.Model);
            var scores = TitleEvaluation.Score(current, subset, TitleEvaluationOptions.Default);
            reserve = TimeSpan.FromSeconds(10 + validationClock.Elapsed.TotalSeconds * (1 + (double)validation.Count / Math.Max(1, subset.Length)));
            var record = new TitleEpoch(epoch, state.Step, lossSum / Math.Max(1, steps), accuracySum / Math.Max(1, steps), scores, clock.Elapsed.TotalSeconds);
            epochs.Add(record);
            log.Write(new MetricRecord(state.Step, epoch, "epoch", new Dictionary<string, double>
            {
                ["loss"] = record.TrainLoss, ["accuracy"] = record.TrainAccuracy, ["val_rouge1"] = scores.Rouge1,
                ["val_rouge2"] = scores.Rouge2, ["val_rougeL"] = scores.RougeL, ["seconds"] = record.Seconds,
            }));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}{(stopped ? " (cut by the time budget)" : "")}  step {state.Step}  loss {record.TrainLoss:F4}  acc {record.TrainAccuracy:F4}  val[{subset.Length}] ROUGE-1 {scores.Rouge1:F4}  ROUGE-2 {scores.Rouge2:F4}  ROUGE-L {scores.RougeL:F4}  ({record.Seconds:F0} s)"));
            if (scores.RougeL > best)
            {
                best = scores.RougeL;
                current.Save(options.OutDirectory);
            }
            state = state with { Epoch = stopped ? epoch : epoch + 1, Batch = stopped ? state.Batch : 0, BestRougeL = best };
            TitleCheckpoint.Save(store, state, generator);
            Charts.Lines(Path.Combine(options.OutDirectory, "loss.png"), "Title model training", "epoch", "value", Curves(options.OutDirectory));
            if (stopped) break;
        }

        var model = TrainedTitleModel.Load(options.OutDirectory, torch.CPU);
        var full = TitleEvaluation.Score(model, validation, TitleEvaluationOptions.Default);
        var lead = TitleEvaluation.Lead(validation, 18);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"best model (val[{subset.Length}] ROUGE-L {best:F4}) on all {validation.Count} validation pairs, greedy: ROUGE-1 {full.Rouge1:F4}  ROUGE-2 {full.Rouge2:F4}  ROUGE-L {full.RougeL:F4}; lead-18: ROUGE-1 {lead.Rouge1:F4}  ROUGE-2 {lead.Rouge2:F4}  ROUGE-L {lead.RougeL:F4}  ({clock.Elapsed.TotalMinutes:F1} min)"));
        return new TitleTrainingResult(model, epochs, full, lead);
    }

    static (TitleModelParams Parameters, object OptimizerState, double Loss, double Accuracy) Step(
        TitleModelParams parameters, object optimizerState, TitleBatch batch, TitleModelOptions model, IGradientTransformation optimizer, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        double accuracy = 0;
        var (loss, gradient) = Autodiff.ValueAndGrad(p =>
        {
            var result = TitleLoss.Apply(p, batch, model, true, generator, Capture.None);
            accuracy = result.Accuracy.item<float>();
            return result.Loss;
        }, parameters);
        var step = Optimizer.Step(optimizer, gradient, optimizerState, parameters);
        var values = (loss.item<float>(), accuracy);
        scope.MoveToOuter(Tree.Leaves(step.Parameters));
        scope.MoveToOuter(OptimizerStates.Encode(step.State).Tensors.Select(leaf => leaf.Value));
        return (step.Parameters, step.State, values.Item1, values.Item2);
    }

    static IReadOnlyList<ChartSeries> Curves(string directory)
    {
        var records = MetricsLog.Read(Path.Combine(directory, "metrics.jsonl")).Where(r => r.Phase == "epoch").ToArray();
        var x = records.Select((_, i) => (double)(i + 1)).ToArray();
        return
        [
            new("train loss", x, records.Select(r => r.Metrics["loss"]).ToArray()),
            new("val ROUGE-L", x, records.Select(r => r.Metrics["val_rougeL"]).ToArray()),
        ];
    }
}
