using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// Why <see cref="BatchNorm"/> calls libtorch's fused <c>batch_norm</c>: <c>dotnet run --project Benchmarks -c Release --
/// batchnorm-race</c> times one training forward and backward pass of <see cref="BatchNorm.Apply(BatchNormParams, BatchNormStats, torch.Tensor, bool)"/>
/// against the same normalisation written with tensor operations (batch mean, biased variance, rsqrt, scale and shift,
/// running statistics under no_grad), in interleaved rounds, on the activations of the convolutional digit classifier's
/// two blocks, and prints the median times and their ratio. Options: <c>--rounds N</c> (15), <c>--steps N</c> (10),
/// <c>--batch N</c> (64), <c>--threads N</c> (libtorch's default).
/// </summary>
public static class BatchNormRace
{
    /// <summary>Runs the race; returns 0.</summary>
    public static int Run(IReadOnlyList<string> arguments)
    {
        var options = new Arguments(arguments);
        var rounds = options.Integer("rounds", 15);
        var steps = options.Integer("steps", 10);
        var batch = options.Integer("batch", 64);
        var threads = options.Integer("threads", 0);
        options.CheckAllUsed();
        if (threads > 0) torch.set_num_threads(threads);
        Say($"batch norm race: training forward and backward, batch {batch}, {torch.get_num_threads()} libtorch thread(s), median of {rounds} rounds of {steps} passes; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Say($"{"input",-16} {"fused ms",9} {"by hand ms",11} {"by hand / fused",16}");
        foreach (var (size, channels) in new[] { (28, 16), (14, 32) })
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator(1);
            var norm = BatchNorm.Init(channels, torch.CPU);
            var stats = BatchNorm.InitStats(channels, torch.CPU);
            var x = torch.randn([batch, size, size, channels], generator: generator);
            Func<BatchNormParams, torch.Tensor>[] ways = [p => BatchNorm.Apply(p, stats, x, training: true).Output, p => ByHand(p, stats, x)];
            var times = ways.Select(_ => new List<double>()).ToArray();
            for (var round = -2; round < rounds; round++) // two warm-up rounds
            {
                for (var i = 0; i < ways.Length; i++)
                {
                    var watch = Stopwatch.StartNew();
                    for (var step = 0; step < steps; step++)
                    {
                        using var stepScope = torch.NewDisposeScope();
                        var way = ways[i];
                        Autodiff.ValueAndGrad(p => way(p).pow(Scalars.Two).sum(), norm);
                    }
                    if (round >= 0) times[i].Add(watch.Elapsed.TotalMilliseconds / steps);
                }
            }
            var (fused, byHand) = (Median(times[0]), Median(times[1]));
            Say($"{$"{size}x{size}x{channels}",-16} {fused,9:F2} {byHand,11:F2} {byHand / fused,16:F3}");
        }
        Say($"ratios above 1: the fused kernel is faster. load after {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>The training normalisation and running-statistics update with tensor operations.</summary>
    static torch.Tensor ByHand(BatchNormParams p, BatchNormStats stats, torch.Tensor x)
    {
        var flat = x.reshape(-1, p.Weight.shape[0]);
        var mean = flat.mean([0]);
        var variance = flat.var(0, unbiased: false);
        using var epsilon = p.Epsilon.ToScalar();
        using (torch.no_grad())
        {
            using var keep = (1 - p.Momentum).ToScalar();
            using var take = p.Momentum.ToScalar();
            using var correction = (flat.shape[0] / (double)(flat.shape[0] - 1)).ToScalar();
            _ = stats.RunningMean.mul(keep).add(mean.detach(), take);
            _ = stats.RunningVar.mul(keep).add(variance.detach().mul(correction), take);
        }
        return (flat - mean).mul(variance.add(epsilon, Scalars.One).rsqrt()).mul(p.Weight).add(p.Bias, Scalars.One).reshape(x.shape);
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
