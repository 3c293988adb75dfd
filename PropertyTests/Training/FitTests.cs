using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;
using Functional.Models.Digits;
using Functional.Reporting;
using Functional.Training;

namespace Functional.PropertyTests.Training;

public sealed class FitTests
{
    static TrainingData<DigitBatch> Batches(DigitBatch data, int workers = 1) => MnistTraining.Data(data, batchSize: 8, seed: 1, workers);

    static FitResult<DigitClassifier, NoState> Run(DigitBatch data, FitOptions options, Func<DigitClassifier, NoState, IReadOnlyDictionary<string, double>>? validate,
        IGradientTransformation? pipeline = null, CancellationToken cancellation = default) =>
        Fit.Run(Loss, pipeline ?? Optimizer.Adam(1e-2), TrainState.Init(Model(2), NoState.Value, pipeline ?? Optimizer.Adam(1e-2), 3), Batches(data), validate, options, cancellation);

    [Fact]
    public void Training_lowers_the_loss_and_reports_every_epoch()
    {
        using var data = RandomDigits(64, 1);

        var result = Run(data, FitOptions.Default with { Epochs = 6 }, MnistTraining.Validation(data));

        Assert.Equal(FitEnd.Completed, result.End);
        Assert.Equal(Enumerable.Range(0, 6), result.History.Select(r => r.Epoch));
        Assert.Equal(6 * 8, result.State.Step);
        Assert.True(result.History[^1].Validation["loss"] < result.History[0].Validation["loss"] - 0.3,
            $"Validation loss went from {result.History[0].Validation["loss"]} to {result.History[^1].Validation["loss"]}.");
    }

    [Fact]
    public void Early_stopping_ends_the_fit_after_patience_epochs_without_improvement()
    {
        using var data = RandomDigits(16, 1);
        var scripted = new Queue<double>([5, 4, 4.5, 4.2, 3.9, 7, 8, 9, 1, 1]);
        IReadOnlyDictionary<string, double> Validate(DigitClassifier _, NoState __) => new Dictionary<string, double> { ["score"] = scripted.Dequeue() };

        var result = Run(data, FitOptions.Default with { Epochs = 10, EarlyStopping = new EarlyStopping("score", Minimize: true, Patience: 3, MinDelta: 0) }, Validate);

        Assert.Equal(FitEnd.EarlyStopped, result.End);
        Assert.Equal(8, result.History.Count); // 4.5 and 4.2 do not beat 4, 3.9 does; 7, 8 and 9 do not: stop after the third
    }

    [Fact]
    public void Early_stopping_on_a_metric_validation_does_not_report_names_the_ones_it_does()
    {
        using var data = RandomDigits(16, 1);

        var error = Assert.Throws<KeyNotFoundException>(() => Run(data, FitOptions.Default with { Epochs = 2, EarlyStopping = new EarlyStopping("rouge", false, 1, 0) }, MnistTraining.Validation(data)));

        Assert.Contains("'rouge'", error.Message);
        Assert.Contains("loss, accuracy", error.Message);
    }

    [Fact]
    public void A_callback_can_stop_the_fit_and_sees_each_epoch_once()
    {
        using var data = RandomDigits(16, 1);
        var seen = new List<int>();

        var result = Run(data, new FitOptions { Epochs = 9, Observers = [new EpochCallback(r => { seen.Add(r.Epoch); return r.Epoch == 2 ? FitDecision.Stop : FitDecision.Continue; })] }, null);

        Assert.Equal(FitEnd.StoppedByCallback, result.End);
        Assert.Equal([0, 1, 2], seen);
        Assert.Equal(3 * 2, result.State.Step);
    }

    [Fact]
    public void Cancellation_stops_after_the_current_step_and_the_state_can_resume()
    {
        using var data = RandomDigits(80, 1);
        using var cancel = new CancellationTokenSource();
        var steps = 0;
        ModelLoss<DigitClassifier, NoState, DigitBatch> counting = (p, b, c) => { if (++steps == 4) cancel.Cancel(); return Loss(p, b, c); };

        var result = Fit.Run(counting, Optimizer.Sgd(0.1), TrainState.Init(Model(2), NoState.Value, Optimizer.Sgd(0.1), 3), Batches(data, workers: 2), null,
            FitOptions.Default with { Epochs = 3 }, cancel.Token);

        Assert.Equal(FitEnd.Cancelled, result.End);
        Assert.Equal(4, result.State.Step);
        Assert.Equal(new DataPosition(0, 4), result.State.Position);
    }

    [Fact]
    public void A_non_finite_loss_stops_the_fit_with_the_step_where_it_happened()
    {
        using var data = RandomDigits(16, 1);
        using var infinity = float.PositiveInfinity.ToScalar();
        ModelLoss<DigitClassifier, NoState, DigitBatch> exploding = (p, b, c) => new ModelOutput(Loss(p, b, c).Loss.mul(infinity), new Dictionary<string, torch.Tensor>());

        var error = Assert.Throws<InvalidOperationException>(() => Fit.Run(exploding, Optimizer.Sgd(0.1), TrainState.Init(Model(2), NoState.Value, Optimizer.Sgd(0.1), 3), Batches(data), null,
            FitOptions.Default with { Epochs = 2 }, CancellationToken.None));

        Assert.Contains("The training loss is Infinity at step 1 (epoch 0, batch 0)", error.Message);
    }

    [Fact]
    public void A_time_budget_ends_the_fit_with_a_validated_and_saved_state()
    {
        using var data = RandomDigits(16, 1);
        var store = new CheckpointStore(TemporaryFolder(), keepLast: 2);

        var result = Run(data, new FitOptions { Epochs = 1000, TimeLimit = TimeSpan.Zero, Observers = [new CheckpointObserver(store)] }, MnistTraining.Validation(data));

        Assert.Equal(FitEnd.OutOfTime, result.End);
        Assert.Equal(1, result.State.Step);
        Assert.Single(result.History);
        Assert.Contains("accuracy", result.History[0].Validation.Keys);
        Assert.Equal([1L], store.Steps());
    }

    [Fact]
    public void Validation_sees_the_ema_weights_when_the_pipeline_keeps_them_and_the_raw_ones_when_asked()
    {
        using var data = RandomDigits(16, 1);
        var pipeline = new Chain(Optimizer.Adam(1e-2), new ParameterEma(0.5, BiasCorrection: false));
        var seen = new List<float>();
        IReadOnlyDictionary<string, double> Validate(DigitClassifier p, NoState _) { seen.Add(p.Output.Bias!.sum().item<float>()); return new Dictionary<string, double>(); }

        var withEma = Run(data, FitOptions.Default with { Epochs = 1 }, Validate, pipeline).State;
        var raw = Run(data, FitOptions.Default with { Epochs = 1, EvaluateWithEma = false }, Validate, pipeline).State;

        using var average = ParameterEma.Average(withEma.OptimizerState, withEma.Parameters).Output.Bias!;
        Assert.Equal(average.sum().item<float>(), seen[0]);
        Assert.Equal(raw.Parameters.Output.Bias!.sum().item<float>(), seen[1]);
        Assert.NotEqual(seen[0], seen[1]);
    }

    [Fact]
    public void The_progress_bar_the_log_and_the_chart_record_the_run()
    {
        using var data = RandomDigits(32, 1);
        var folder = TemporaryFolder();
        var output = new StringWriter();
        var (logPath, chartPath) = (Path.Combine(folder, "log.jsonl"), Path.Combine(folder, "loss.png"));
        using var progress = new ProgressObserver(output, interactive: false);
        var options = new FitOptions { Epochs = 2, Observers = [new MetricsLogObserver(logPath), progress, new LossChartObserver(chartPath, logPath)] };

        Run(data, options, MnistTraining.Validation(data));

        var text = output.ToString();
        Assert.Contains("Epoch 2/2", text);
        Assert.Contains("4/4 [==============================]", text);
        Assert.Contains("validation: loss", text);
        var log = MetricsLog.Read(logPath);
        Assert.Equal(8, log.Count(r => r.Phase == "train"));
        Assert.Equal(2, log.Count(r => r.Phase == "validation"));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), log.Where(r => r.Phase == "train").Select(r => r.Step));
        var png = File.ReadAllBytes(chartPath);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }
}
