using System.Globalization;

namespace Functional.Reporting;

/// <summary>
/// How the progress displays write numbers, Keras-like and steady: a metric keeps four significant figures and one
/// width (<see cref="Width"/> characters), so a line does not jump as values change (0.04600 and 0.05338, not 0.046 and
/// 0.05338); durations read m:ss or h:mm:ss; rates read steps per second, or seconds per step when slower than one.
/// </summary>
public static class MetricFormat
{
    /// <summary>The width of every <see cref="Number"/> of a finite value of magnitude below 1e100 (a negative one in scientific form is one wider).</summary>
    public const int Width = 9;

    /// <summary>
    /// <paramref name="value"/> with four significant figures: fixed-point from 0.001 up to 10,000 (<c>2.345</c>,
    /// <c>0.04600</c>, <c>1234</c>), scientific outside (<c>1.000e-05</c>, <c>1.235e+04</c>), zero as <c>0.000</c>, left-padded
    /// to <see cref="Width"/>; not-a-number and infinities as <c>nan</c>, <c>inf</c>, <c>-inf</c>.
    /// </summary>
    public static string Number(double value) => Significant(value).PadLeft(Width);

    /// <summary><see cref="Number"/> without the padding.</summary>
    public static string Significant(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return "0.000";
        var magnitude = Math.Abs(value);
        if (magnitude >= 1e-3 && magnitude < 1e4)
        {
            var decimals = Math.Max(0, 3 - (int)Math.Floor(Math.Log10(magnitude)));
            var rounded = Math.Round(value, decimals, MidpointRounding.AwayFromZero);
            // Rounding can carry into the next power of ten (9.9996 -> 10.00): one decimal fewer then.
            if (Math.Abs(rounded) >= Math.Pow(10, 4 - decimals) && decimals > 0) decimals--;
            if (Math.Abs(Math.Round(value, decimals, MidpointRounding.AwayFromZero)) < 1e4)
                return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }
        return value.ToString("0.000e+00", CultureInfo.InvariantCulture);
    }

    /// <summary>A duration as m:ss, or h:mm:ss from an hour on.</summary>
    public static string Duration(TimeSpan time) =>
        (time < TimeSpan.Zero ? TimeSpan.Zero : time).ToString(time.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// The speed of <paramref name="count"/> units (steps, items) in <paramref name="elapsed"/>: <c>12.3 step/s</c>, or
    /// <c>4.56 s/step</c> when slower than one a second; <c>- step/s</c> before anything is measured. Always
    /// <c>7 + unit.Length</c> characters wide.
    /// </summary>
    public static string Rate(int count, TimeSpan elapsed, string unit)
    {
        var width = 7 + unit.Length;
        if (count <= 0 || elapsed <= TimeSpan.Zero) return $"- {unit}/s".PadLeft(width);
        var perSecond = count / elapsed.TotalSeconds;
        return perSecond >= 1
            ? $"{Short(perSecond)} {unit}/s".PadLeft(width)
            : $"{Short(1 / perSecond)} s/{unit}".PadLeft(width);
    }

    /// <summary>Three significant figures in at most four characters (<c>0.52</c>, <c>4.56</c>, <c>12.3</c>, <c>123</c>, <c>1.2k</c>).</summary>
    static string Short(double value) =>
        value >= 9999.5 ? (value / 1000).ToString("F0", CultureInfo.InvariantCulture) + "k"
        : value >= 999.5 ? (value / 1000).ToString("F1", CultureInfo.InvariantCulture) + "k"
        : value >= 99.95 ? value.ToString("F0", CultureInfo.InvariantCulture)
        : value >= 9.995 ? value.ToString("F1", CultureInfo.InvariantCulture)
        : value.ToString("F2", CultureInfo.InvariantCulture);
}
