using Functional.Core;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Reporting;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Reporting;

/// <summary>The bars tell where a run really is: the step reached when a budget stops it, the speed and the learning rate.</summary>
public sealed class ProgressTruthTests
{
    /// <summary>A clock that advances one second per reading.</summary>
    static Func<TimeSpan> Ticking()
    {
        var seconds = 0;
        return () => TimeSpan.FromSeconds(seconds++);
    }

    static readonly IReadOnlyDictionary<string, double> None = new Dictionary<string, double>();

    /// <summary>Feeds an observer an epoch of <paramref name="total"/> batches stopped after <paramref name="reached"/> of them.</summary>
    static void EpochStoppedAt(ProgressObserver observer, int total, int reached, FitEnd why)
    {
        using var random = torch.zeros(1);
        var state = new TrainState<object, NoState>(new object(), CountState.At(0), 0, random, DataPosition.Start, Functional.Core.NoState.Value);
        observer.FitStarted(new FitStart<object, NoState>(state, 3, total));
        observer.EpochStarted(new EpochStart(0, 3, total, 0));
        for (var batch = 1; batch <= reached; batch++)
            observer.StepFinished(new StepEnd<object, NoState>(state with { Step = batch, Position = new DataPosition(0, batch) }, 0, total,
                new Dictionary<string, double> { ["loss"] = 1.0 / batch }, TimeSpan.FromSeconds(batch)) { LearningRate = 1e-3 });
        observer.EpochStepsFinished(new EpochStepsEnd(0, reached, why == FitEnd.Completed ? total : reached, why));
    }

    [Fact]
    public void A_budget_stop_leaves_the_plain_bar_at_the_step_reached()
    {
        var output = new StringWriter();
        using var observer = new ProgressObserver(output, interactive: false, null, TimeSpan.FromHours(1));

        EpochStoppedAt(observer, 271, 187, FitEnd.OutOfTime);

        var last = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("187/271 [===================>..........]", last);
        Assert.EndsWith("stopped: out of time", last);
        Assert.Contains("lr:  0.001000", last);
        Assert.DoesNotContain("271/271", output.ToString());
    }

    [Fact]
    public void A_completed_epoch_ends_full_and_says_nothing_of_a_stop()
    {
        var output = new StringWriter();
        using var observer = new ProgressObserver(output, interactive: false, null, TimeSpan.FromHours(1));

        EpochStoppedAt(observer, 12, 12, FitEnd.Completed);

        var last = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("12/12 [==============================]", last);
        Assert.DoesNotContain("stopped", last);
    }

    [Fact]
    public void A_budget_stop_leaves_the_live_bar_at_the_step_reached()
    {
        var output = new StringWriter();
        using var observer = new ProgressObserver(output, interactive: true);

        EpochStoppedAt(observer, 271, 187, FitEnd.OutOfTime);

        var text = output.ToString();
        var last = text[text.LastIndexOf("Epoch 1/3", StringComparison.Ordinal)..];
        Assert.Contains("187/271", last);
        Assert.Contains("lr:  0.001000 - stopped: out of time", last);
        Assert.DoesNotContain("271/271", text);
    }

    [Fact]
    public void A_real_fit_stopped_by_its_time_limit_shows_the_batch_it_reached()
    {
        using var data = RandomDigits(64, 1);
        var output = new StringWriter();
        using var progress = new ProgressObserver(output, interactive: false);
        var optimizer = Optimizer.Adam(1e-2);
        var options = new FitOptions { Epochs = 2, TimeLimit = TimeSpan.Zero, Observers = [progress] };

        var result = Fit.Run(Loss, optimizer, TrainState.Init(Model(2), NoState.Value, optimizer, 3), MnistTraining.Data(data, batchSize: 8, seed: 1, 1), null, options, default);

        Assert.Equal(FitEnd.OutOfTime, result.End);
        var last = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("1/8 [==>...", last);
        Assert.Contains("lr:   0.01000", last);
        Assert.EndsWith("stopped: out of time", last);
        Core.Tree.Dispose(result.State.Parameters);
    }

    [Fact]
    public void The_plain_bar_shows_count_speed_and_eta_and_keeps_its_width()
    {
        var bar = new ProgressBar(100, TextWriter.Null, interactive: false, TimeSpan.Zero, Ticking());
        var widths = new List<int>();

        for (var step = 1; step < 100; step++)
        {
            bar.Update(step, new Dictionary<string, double> { ["loss"] = Math.Pow(0.9, step) * 3 }, new Dictionary<string, double> { ["lr"] = 1e-3 / step });
            widths.Add(bar.LastLine.Length);
        }

        Assert.Single(widths.Distinct());
        Assert.Matches(@"^ 99/100 \[=+>\.\] - ETA 0:01 - 1\.00 step/s - loss: +\S+ - lr: +\S+$", bar.LastLine);
    }

    [Fact]
    public void A_resumed_bar_counts_its_speed_and_eta_from_where_it_started()
    {
        var bar = new ProgressBar(100, TextWriter.Null, interactive: false, TimeSpan.Zero, Ticking(), 50, "step");

        bar.Update(60, None, None); // ten steps in the one second since the bar started

        Assert.StartsWith(" 60/100 [=================>............] - ETA 0:04 - 10.0 step/s", bar.LastLine);
    }

    [Fact]
    public void A_task_bar_finished_early_stays_at_the_count_reached()
    {
        var output = new StringWriter();
        using var progress = new TaskProgressBar(output, interactive: false, TimeSpan.FromHours(1));

        progress.Start("Decoding 10 titles (greedy)", 10);
        progress.Advance(3);
        progress.Advance(3);
        progress.Finish();

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Decoding 10 titles (greedy)", lines[0]);
        Assert.StartsWith(" 6/10 [=================>............]", lines[^1]);
        Assert.EndsWith("stopped: incomplete", lines[^1]);
    }
}
