using System.Diagnostics;
using System.Globalization;
using Functional.Core;

namespace Functional.Benchmarks;

/// <summary>
/// The side-by-side comparison: <c>dotnet run --project Benchmarks -c Release -- --side-by-side</c>. For each model
/// shape it times every workload of <see cref="OptimizerWorkload"/> (median of 15 after 5 warm-ups) and prints
/// the ratio to TorchSharp's Adam, the effective bandwidth and the minor page faults per timed step. An Adam step must
/// at least read parameters, gradients and both moments and write parameters and moments: 7 x 4 bytes per element
/// (EMA: +2 streams, clip: +1); the triad moves 3 x 4 bytes per element.
/// </summary>
/// <remarks>
/// Our steps are pure: they allocate fresh parameters and moments, and how soon the C allocator recycles the freed ones
/// instead of mapping fresh pages differs from process to process (a 10M-element Adam step faults about 30,000 times
/// while it maps, 3-6x slower; some processes keep faulting a few hundred times per step for hundreds of steps). The
/// faults column shows what the timed steps took, so a slow row can be told from a slow step: compare builds over
/// several processes, alternating, never one run against one run.
/// </remarks>
public static class SideBySide
{
    public static void Run()
    {
        Console.WriteLine($"{"shape",-12} {"workload",-22} {"median ms",10} {"ratio",7} {"GB/s",7} {"faults",8}");
        foreach (var (count, size) in OptimizerWorkload.Shapes)
        {
            using var workload = new OptimizerWorkload(count, size);
            var bytes = workload.Elements * 4.0;
            var torch = Median(workload.TorchAdam);
            (string Name, Action Run, double Streams)[] rows =
            [
                ("TorchSharp Adam", workload.TorchAdam, 7), ("our Adam", workload.OurAdam, 7),
                ("our clip+Adam+EMA", workload.OurClipAdamEma, 10), ("triad", workload.Triad, 3),
            ];
            foreach (var (name, run, streams) in rows)
            {
                var timing = name == "TorchSharp Adam" ? torch : Median(run);
                Print(count, size, name, timing, torch.Ms, streams * bytes);
            }
            // On a busy machine libtorch's intra-op threads can lose more to waiting than they gain: show one thread too.
            var threads = TorchSharp.torch.get_num_threads();
            TorchSharp.torch.set_num_threads(1);
            Print(count, size, "TorchSharp Adam 1 thr", Median(workload.TorchAdam), torch.Ms, 7 * bytes);
            TorchSharp.torch.set_num_threads(threads);
        }
        Console.WriteLine("ratio: time / TorchSharp Adam (default threads); GB/s: the bytes the step must move / time; faults: minor page faults per timed step.");
    }

    static void Print(int count, int size, string name, (double Ms, double Faults) timing, double torch, double bytes) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count + "x" + size,-12} {name,-22} {timing.Ms,10:F3} {timing.Ms / torch,7:F3} {bytes / (timing.Ms / 1000) / 1e9,7:F1} {timing.Faults,8:F0}"));

    /// <summary>The median time of 15 steps after 5 warm-ups, and their mean minor page faults per step.</summary>
    static (double Ms, double Faults) Median(Action run)
    {
        for (var i = 0; i < 5; i++) run();
        var times = new double[15];
        var faults = MinorPageFaults.Count();
        for (var i = 0; i < times.Length; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        faults = MinorPageFaults.Count() - faults;
        Array.Sort(times);
        return (times[times.Length / 2], (double)faults / times.Length);
    }
}
