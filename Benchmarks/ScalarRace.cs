using System.Globalization;
using Functional.PropertyTests.Native;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// TorchSharp 0.107's implicit-Scalar race, made visible:
/// <c>dotnet run --project Benchmarks -c Release -- scalar-race [iterations] [parts...]</c> runs the library's hot
/// paths (<see cref="ScalarRaceWorkload"/>, the same workload as <c>PropertyTests/Native/ScalarRaceStressTests</c>)
/// for that many iterations (default 2000) while a <see cref="FinalizingCollector"/> forces collections with
/// finalizers on another thread, and prints per part how many iterations threw or returned a wrong checksum and the
/// first failure, then a summary line. Parts are selected by name or prefix (<c>optimizer</c>, <c>title</c>); none
/// selects all; <c>--no-collector</c> runs the same iterations without the collector (the control). A part's
/// exception is caught and counted; a native crash ends the process (the last progress line, printed every
/// <see cref="ProgressEvery"/> iterations, bounds where). Exit code: 0 without failures, 1 with.
/// </summary>
public static class ScalarRace
{
    /// <summary>Relative difference from the reference checksum that still counts as the same result.</summary>
    const double Tolerance = 1e-9;

    /// <summary>A progress line every this many iterations.</summary>
    const int ProgressEvery = 25;

    public static int Run(string[] args)
    {
        var withCollector = !args.Contains("--no-collector");
        args = args.Where(a => a != "--no-collector").ToArray();
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        var selection = args.Skip(1).ToArray();
        Console.WriteLine($"scalar-race: {iterations} iterations {(withCollector ? "with" : "WITHOUT")} the collector; DOTNET_GCgen0size={Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? "(default)"}; "
            + $"server GC {System.Runtime.GCSettings.IsServerGC}; torch threads {torch.get_num_threads()}; load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var workload = new ScalarRaceWorkload(selection);
        Console.WriteLine($"parts: {string.Join(", ", workload.Parts)}");
        var report = workload.Run(iterations, withCollector, Tolerance, (done, failures) =>
        {
            if (done % ProgressEvery == 0 || done == iterations) Console.WriteLine($"  {done}/{iterations} iterations, {failures} failed part-iterations");
        });

        Console.WriteLine();
        Console.WriteLine($"{"part",-26} {"failed",7} {"threw",6} {"wrong",6} {"ms/iter",8}  first failure");
        foreach (var part in report.Parts)
        {
            var perIteration = part.Elapsed.TotalMilliseconds / Math.Max(1, part.Runs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{part.Part,-26} {part.Failures,7} {part.Exceptions,6} {part.WrongResults,6} {perIteration,8:F2}  {part.First?.Key ?? ""}"));
        }
        foreach (var part in report.Parts.Where(p => p.Failures > 0))
        {
            Console.WriteLine();
            Console.WriteLine($"== {part.Part}: {part.Failures} of {part.Runs} iterations failed");
            foreach (var (message, count) in part.Messages.OrderByDescending(m => m.Value)) Console.WriteLine($"  {count,6} x {message}");
            Console.WriteLine($"  first: {part.First}");
        }
        Console.WriteLine();
        var failedParts = report.Parts.Count(p => p.Failures > 0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"summary: {report.Failures} failed part-iterations in {failedParts} of {report.Parts.Count} parts over {report.Iterations} iterations, "
            + $"{report.Collections} forced collections, {report.Elapsed.TotalSeconds:F1} s"));
        return report.Failures == 0 ? 0 : 1;
    }
}
