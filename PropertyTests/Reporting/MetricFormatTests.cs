using System.Globalization;
using FsCheck.Xunit;
using Xunit;
using Functional.Reporting;

namespace Functional.PropertyTests.Reporting;

public sealed class MetricFormatTests
{
    [Property(MaxTest = 500)]
    public void Every_finite_value_keeps_one_width_and_four_significant_figures(double value, int exponent)
    {
        if (!double.IsFinite(value)) return;
        var scaled = value * Math.Pow(10, exponent % 12);
        if (!double.IsFinite(scaled) || Math.Abs(scaled) >= 9.9995e99 || (scaled != 0 && Math.Abs(scaled) < 1e-99)) return;

        var text = MetricFormat.Number(scaled);

        Assert.Equal(scaled < 0 && text.Contains('e') ? MetricFormat.Width + 1 : MetricFormat.Width, text.Length);
        var digits = text.Trim().TrimStart('-').Split('e')[0].Replace(".", "").TrimStart('0');
        Assert.True(scaled == 0 || digits.Length == 4, $"{scaled} -> '{text}' has {digits.Length} significant digits");
        var back = double.Parse(text, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(back - scaled) <= 5.0001e-4 * Math.Abs(scaled), $"{scaled} -> '{text}' reads back as {back}");
    }

    [Theory]
    [InlineData(0.046, "  0.04600")]
    [InlineData(0.05338, "  0.05338")]
    [InlineData(2.34567, "    2.346")]
    [InlineData(9.99996, "    10.00")]
    [InlineData(1234.4, "     1234")]
    [InlineData(99999, "1.000e+05")]
    [InlineData(3e-4, "3.000e-04")]
    [InlineData(0, "    0.000")]
    [InlineData(-0.5, "  -0.5000")]
    [InlineData(double.NaN, "      nan")]
    public void Values_read_as_keras_shows_them_at_a_fixed_width(double value, string expected) =>
        Assert.Equal(expected, MetricFormat.Number(value));

    [Fact]
    public void The_speed_reads_steps_per_second_or_seconds_per_step_at_one_width()
    {
        Assert.Equal("4.50 step/s", MetricFormat.Rate(9, TimeSpan.FromSeconds(2), "step"));
        Assert.Equal("2.00 s/step", MetricFormat.Rate(1, TimeSpan.FromSeconds(2), "step"));
        Assert.Equal(" 12k item/s", MetricFormat.Rate(12345, TimeSpan.FromSeconds(1), "item"));
        Assert.All(new[] { MetricFormat.Rate(1, TimeSpan.FromSeconds(2), "step"), MetricFormat.Rate(123, TimeSpan.FromSeconds(1), "step"), MetricFormat.Rate(0, TimeSpan.Zero, "step") },
            rate => Assert.Equal(11, rate.Length));
    }
}
