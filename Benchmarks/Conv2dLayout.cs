using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// How <see cref="Conv2d"/> should hand channels-last images to libtorch:
/// <c>dotnet run --project Benchmarks -c Release -- conv2d-layout</c>. Times one forward and backward pass of a
/// convolution followed by a <see cref="BatchNorm"/> (which reads its input as [values, channels], so a
/// non-contiguous convolution output costs a copy there) in three layouts, in interleaved rounds: <b>view</b> (what
/// <see cref="Conv2d.Apply"/> does: <c>permute(0, 3, 1, 2)</c>, a channels-first view with channels-last memory, and the
/// output permuted back), <b>copy in</b> (the permuted input made contiguous channels-first first, the output a
/// permuted view), <b>copy both</b> (also the output made contiguous channels-last). Prints the median time of each,
/// the ratios to the view, and whether each output is contiguous, for the two layers of the convolutional digit
/// classifier. Options: <c>--rounds N</c> (15), <c>--steps N</c> passes per timing (10), <c>--batch N</c> (64),
/// <c>--threads N</c> (libtorch's default).
/// </summary>
public static class Conv2dLayout
{
    /// <summary>Runs the comparison; returns 0.</summary>
    public static int Run(IReadOnlyList<string> arguments)
    {
        var options = new Arguments(arguments);
        var rounds = options.Integer("rounds", 15);
        var steps = options.Integer("steps", 10);
        var batch = options.Integer("batch", 64);
        var threads = options.Integer("threads", 0);
        options.CheckAllUsed();
        if (threads > 0) torch.set_num_threads(threads);
        Say($"conv2d layout: conv 3x3 (padding 1) + BatchNorm, forward and backward, batch {batch}, {torch.get_num_threads()} libtorch thread(s), median of {rounds} rounds of {steps} passes; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Say($"{"layer",-22} {"view ms",9} {"copy in ms",11} {"copy both ms",13} {"copy in / view",15} {"copy both / view",17}  contiguous output (view, copy in, copy both)");
        foreach (var (size, inChannels, outChannels) in new[] { (28, 1, 16), (14, 16, 32) })
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator(1);
            var conv = Conv2d.Init(generator, inChannels, outChannels, 3, torch.CPU) with { Padding = 1 };
            var norm = BatchNorm.Init(outChannels, torch.CPU);
            var stats = BatchNorm.InitStats(outChannels, torch.CPU);
            var x = torch.randn([batch, size, size, inChannels], generator: generator);
            Func<Conv2dParams, torch.Tensor>[] layouts =
            [
                p => Conv2d.Apply(p, x),
                p => torch.nn.functional.conv2d(x.permute(0, 3, 1, 2).contiguous(), p.Weight, p.Bias, [1, 1], [1, 1]).permute(0, 2, 3, 1),
                p => torch.nn.functional.conv2d(x.permute(0, 3, 1, 2).contiguous(), p.Weight, p.Bias, [1, 1], [1, 1]).permute(0, 2, 3, 1).contiguous(),
            ];
            var contiguous = layouts.Select(layout => layout(conv).is_contiguous()).ToArray();
            var times = layouts.Select(_ => new List<double>()).ToArray();
            for (var round = -2; round < rounds; round++) // two warm-up rounds
            {
                for (var i = 0; i < layouts.Length; i++)
                {
                    var watch = Stopwatch.StartNew();
                    for (var step = 0; step < steps; step++)
                    {
                        using var stepScope = torch.NewDisposeScope();
                        var layout = layouts[i];
                        Autodiff.ValueAndGrad(p => BatchNorm.Apply(norm, stats, layout(p), training: true).Output.pow(Scalars.Two).sum(), conv);
                    }
                    if (round >= 0) times[i].Add(watch.Elapsed.TotalMilliseconds / steps);
                }
            }
            var (view, copyIn, copyBoth) = (Median(times[0]), Median(times[1]), Median(times[2]));
            Say($"{$"{size}x{size}x{inChannels} -> {outChannels}",-22} {view,9:F2} {copyIn,11:F2} {copyBoth,13:F2} {copyIn / view,15:F3} {copyBoth / view,17:F3}  {string.Join(", ", contiguous)}");
        }
        Say($"ratios above 1: the view layout is faster. load after {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
