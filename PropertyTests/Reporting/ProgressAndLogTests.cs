using FsCheck.Xunit;
using Xunit;
using Functional.Models.Titles;
using Functional.Reporting;
using Functional.Training;

namespace Functional.PropertyTests.Reporting;

public sealed class ProgressAndLogTests
{
    /// <summary>A clock that advances one second per reading.</summary>
    static Func<TimeSpan> Ticking()
    {
        var seconds = 0;
        return () => TimeSpan.FromSeconds(seconds++);
    }

    [Property(MaxTest = 200)]
    public void Averaged_metrics_show_their_mean_and_stateful_ones_their_last_value(double[] losses)
    {
        var finite = losses.Where(double.IsFinite).Select(v => v % 1000).ToArray();
        if (finite.Length == 0) return;
        var bar = new ProgressBar(finite.Length, TextWriter.Null, interactive: false, TimeSpan.FromSeconds(5), Ticking());

        for (var i = 0; i < finite.Length; i++)
            bar.Update(i + 1, new Dictionary<string, double> { ["loss"] = finite[i] }, new Dictionary<string, double> { ["lr"] = i });

        Assert.Equal(finite.Average(), bar.Value("loss"), 9);
        Assert.Equal(finite.Length - 1, bar.Value("lr"));
    }

    [Fact]
    public void Redirected_output_gets_whole_lines_with_an_eta_and_a_final_line()
    {
        var output = new StringWriter();
        var bar = new ProgressBar(10, output, interactive: false, TimeSpan.FromSeconds(3), Ticking());

        for (var step = 1; step <= 10; step++) bar.Update(step, new Dictionary<string, double> { ["loss"] = step }, new Dictionary<string, double>());
        bar.Finish(10, null);

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain('\r', output.ToString());
        Assert.InRange(lines.Length, 3, 6);
        Assert.Contains("ETA", lines[0]);
        Assert.StartsWith("10/10 [==============================]", lines[^1]);
        Assert.EndsWith("loss:     5.500", lines[^1]);
    }

    [Fact]
    public void A_terminal_gets_the_line_redrawn_in_place()
    {
        var output = new StringWriter();
        var bar = new ProgressBar(4, output, interactive: true, TimeSpan.FromSeconds(3), Ticking());

        for (var step = 1; step <= 4; step++) bar.Update(step, new Dictionary<string, double>(), new Dictionary<string, double> { ["acc"] = 0.5 });
        bar.Finish(4, null);

        Assert.Equal(4, output.ToString().Count(c => c == '\r'));
        Assert.EndsWith(Environment.NewLine, output.ToString());
        Assert.EndsWith("acc:    0.5000", output.ToString().TrimEnd());
    }

    [Fact]
    public void The_metrics_log_reads_back_what_was_written()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var log = new MetricsLog(path))
            {
                log.Write(new MetricRecord(10, 0, "train", new Dictionary<string, double> { ["loss"] = 0.5 }));
                log.Write(new MetricRecord(20, 1, "validation", new Dictionary<string, double> { ["rougeL"] = 0.25, ["loss"] = 0.4 }));
            }

            var records = MetricsLog.Read(path);

            Assert.Equal(2, records.Count);
            Assert.Equal("validation", records[1].Phase);
            Assert.Equal(0.25, records[1].Metrics["rougeL"]);
            Assert.StartsWith("{\"step\":10,", File.ReadLines(path).First());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_live_bar_shows_the_title_the_running_metrics_and_completion()
    {
        var output = new StringWriter();
        var bar = new LiveProgressBar(10, "Epoch 3/7", output, 0, "step");

        for (var step = 1; step <= 10; step++)
            bar.Update(step, new Dictionary<string, double> { ["loss"] = step }, new Dictionary<string, double> { ["lr"] = 0.5 / step });
        bar.Finish(10, null);

        var text = output.ToString();
        Assert.Contains("Epoch 3/7 ", text);
        Assert.Contains("loss:     5.500 - lr:   0.05000", text);
        Assert.Contains("10/10", text);
        Assert.Equal(5.5, bar.Value("loss"));
    }
}
