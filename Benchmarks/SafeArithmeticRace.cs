using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// What the safe arithmetic of <see cref="SafeArithmetic"/> costs against the rewrite the analyzers asked for before
/// (<c>a.add(b, Scalars.One)</c>, <c>using var s = v.ToScalar(); x.mul(s)</c>), and against TorchSharp's own
/// operators (<c>a + b</c>, <c>x * v</c>, unsafe): <c>dotnet run --project Benchmarks -c Release -- safe-arithmetic
/// [rounds]</c>. Each row runs its two forms interleaved in this process, round after round (default 15 rounds of
/// enough calls for about 20 ms), on one libtorch thread, and prints the median time per call of each and their ratio
/// (safe / rewrite), at 16 elements (where the per-call overhead is all there is) and at 1M elements; the load average
/// is printed first.
/// </summary>
public static class SafeArithmeticRace
{
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        torch.set_num_threads(1);
        Console.WriteLine($"safe-arithmetic: {rounds} interleaved rounds, torch threads {torch.get_num_threads()}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"elements",9} {"operation",-34} {"safe ns",10} {"rewrite ns",11} {"ratio",7}");
        foreach (var elements in new[] { 16L, 1L << 20 })
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator(1UL);
            var a = torch.randn([elements], generator: generator);
            var b = torch.randn([elements], generator: generator);
            var v = 1.5;
            Row(elements, "a.Plus(b) / a.add(b, One)", rounds, () => a.Plus(b), () => a.add(b, Scalars.One));
            Row(elements, "x.Times(v) / held s; x.mul(s)", rounds, () => a.Times(v), () =>
            {
                using var s = v.ToScalar();
                return a.mul(s);
            });
            Row(elements, "x.Times(2.0) / x.mul(Scalars.Two)", rounds, () => a.Times(2.0), () => a.mul(Scalars.Two));
            Row(elements, "x.SubtractedFrom(1) / neg().add", rounds, () => a.SubtractedFrom(1L), () =>
            {
                using var negated = a.neg();
                return negated.add(Scalars.One, Scalars.One);
            });
#pragma warning disable FT0003 // the unsafe TorchSharp operators, measured for comparison only (no collector runs here)
            Row(elements, "a.Plus(b) / a + b (TorchSharp)", rounds, () => a.Plus(b), () => a + b);
            Row(elements, "x.Times(v) / x * v (TorchSharp)", rounds, () => a.Times(v), () => a * v);
#pragma warning restore FT0003
        }
        Console.WriteLine("ratio: safe / rewrite, medians of per-call times measured alternately in the same process.");
        return 0;
    }

    static void Row(long elements, string name, int rounds, Func<torch.Tensor> safe, Func<torch.Tensor> rewrite)
    {
        var calls = CallsFor(rewrite);
        var safeTimes = new double[rounds];
        var rewriteTimes = new double[rounds];
        for (var round = 0; round < rounds; round++)
        {
            rewriteTimes[round] = NanosecondsPerCall(rewrite, calls);
            safeTimes[round] = NanosecondsPerCall(safe, calls);
        }
        Array.Sort(safeTimes);
        Array.Sort(rewriteTimes);
        double safeMedian = safeTimes[rounds / 2], rewriteMedian = rewriteTimes[rounds / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{elements,9} {name,-34} {safeMedian,10:F0} {rewriteMedian,11:F0} {safeMedian / rewriteMedian,7:F3}"));
    }

    /// <summary>Enough calls for about 20 ms (after a warm-up).</summary>
    static int CallsFor(Func<torch.Tensor> run)
    {
        for (var i = 0; i < 50; i++) run().Dispose();
        var watch = Stopwatch.StartNew();
        var calls = 0;
        while (watch.Elapsed.TotalMilliseconds < 20) { run().Dispose(); calls++; }
        return Math.Max(1, calls);
    }

    static double NanosecondsPerCall(Func<torch.Tensor> run, int calls)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++) run().Dispose();
        return watch.Elapsed.TotalMilliseconds * 1e6 / calls;
    }
}
