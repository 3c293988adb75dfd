using System.Diagnostics;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Native;

/// <summary>
/// The stress workload of TorchSharp 0.107's implicit-Scalar race: the library's hot paths
/// (<see cref="ScalarRaceParts"/>) run over and over on the calling thread while a <see cref="FinalizingCollector"/>
/// forces garbage collections with finalizers from another thread. On a library whose every native call keeps its
/// scalars alive, no part ever throws and every part returns its reference checksum.
/// </summary>
/// <remarks>
/// Contract: the constructor builds the selected parts and runs each once, without the collector, for its reference
/// checksum (an exception there propagates). <see cref="Run"/> catches every part's exceptions separately and records
/// them with the part's name, so one failing path neither hides nor stops the others (a native crash still ends the
/// process). Use from one thread; <see cref="Dispose"/> releases the parts' inputs.
/// </remarks>
public sealed class ScalarRaceWorkload : IDisposable
{
    /// <summary>Lines of a failure's stack trace kept in its report.</summary>
    const int StackLines = 8;

    readonly ScalarRacePart[] parts;
    readonly double[] reference;
    bool released;

    /// <summary>
    /// Builds the parts selected by <paramref name="selection"/> (all when it is empty): an entry selects the part of
    /// that name and every part whose name starts with the entry and a dash (<c>optimizer</c> selects every
    /// <c>optimizer-…</c>, <c>title</c> every <c>title-…</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An entry selects no part.</exception>
    public ScalarRaceWorkload(IReadOnlyList<string> selection)
    {
        var names = Select(selection);
        parts = new ScalarRacePart[names.Count];
        try
        {
            for (var i = 0; i < names.Count; i++) parts[i] = ScalarRaceParts.Create(names[i]);
            reference = parts.Select(part => part.Run()).ToArray();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The names of the selected parts, in the order they run.</summary>
    public IReadOnlyList<string> Parts => parts.Select(p => p.Name).ToArray();

    /// <summary>Each selected part's checksum from its run without the collector, by name.</summary>
    public IReadOnlyDictionary<string, double> Reference => parts.Select((p, i) => (p.Name, reference[i])).ToDictionary(x => x.Name, x => x.Item2);

    /// <summary>The part names a selection entry matches (see the constructor).</summary>
    /// <exception cref="ArgumentException">An entry selects no part.</exception>
    public static IReadOnlyList<string> Select(IReadOnlyList<string> selection)
    {
        if (selection.Count == 0) return ScalarRaceParts.Names;
        var selected = new List<string>();
        foreach (var entry in selection)
        {
            var matches = ScalarRaceParts.Names.Where(name => name == entry || name.StartsWith(entry + "-", StringComparison.Ordinal)).ToArray();
            if (matches.Length == 0)
                throw new ArgumentException($"'{entry}' selects no scalar-race part; the parts are: {string.Join(", ", ScalarRaceParts.Names)}.", nameof(selection));
            selected.AddRange(matches.Except(selected));
        }
        return selected;
    }

    /// <summary>
    /// Runs every part <paramref name="iterations"/> times (iteration by iteration, the parts in order), with a
    /// <see cref="FinalizingCollector"/> running throughout when <paramref name="withCollector"/>. A run fails when it
    /// throws or returns a checksum that is not finite or differs from the reference by more than
    /// <paramref name="tolerance"/> (relative). <paramref name="afterIteration"/>, when given, is called after each
    /// iteration with the number of iterations done and the failures so far (for progress lines: after a native crash
    /// the last one bounds where it happened).
    /// </summary>
    public ScalarRaceReport Run(int iterations, bool withCollector, double tolerance, Action<int, int>? afterIteration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        var exceptions = new int[parts.Length];
        var wrong = new int[parts.Length];
        var first = new ScalarRaceFailure?[parts.Length];
        var messages = parts.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToArray();
        var elapsed = new long[parts.Length];
        var clock = Stopwatch.StartNew();
        var collector = withCollector ? new FinalizingCollector() : null;
        long collections;
        try
        {
            for (var iteration = 0; iteration < iterations; iteration++)
            {
                for (var i = 0; i < parts.Length; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var failure = RunOnce(parts[i], reference[i], iteration, tolerance, out var threw);
                    elapsed[i] += Stopwatch.GetTimestamp() - started;
                    if (failure is null) continue;
                    if (threw) exceptions[i]++;
                    else wrong[i]++;
                    first[i] ??= failure;
                    messages[i][failure.Key] = messages[i].GetValueOrDefault(failure.Key) + 1;
                }
                afterIteration?.Invoke(iteration + 1, exceptions.Sum() + wrong.Sum());
            }
        }
        finally
        {
            collections = collector?.Collections ?? 0;
            collector?.Dispose();
        }
        var reports = parts.Select((p, i) => new ScalarRacePartReport(p.Name, iterations, exceptions[i], wrong[i], first[i], messages[i],
            Stopwatch.GetElapsedTime(0, elapsed[i]))).ToArray();
        return new ScalarRaceReport(iterations, reports, collections, clock.Elapsed);
    }

    static ScalarRaceFailure? RunOnce(ScalarRacePart part, double expected, int iteration, double tolerance, out bool threw)
    {
        threw = false;
        double checksum;
        try
        {
            checksum = part.Run();
        }
        catch (Exception error)
        {
            threw = true;
            var lines = (error.StackTrace ?? "").Split('\n').Select(line => line.Trim()).ToArray();
            var frame = lines.FirstOrDefault(line => line.StartsWith("at Functional.", StringComparison.Ordinal) && !line.Contains(".Native.ScalarRace", StringComparison.Ordinal)) ?? "";
            return new ScalarRaceFailure(part.Name, iteration, $"{error.GetType().Name}: {error.Message}", frame, string.Join(Environment.NewLine, lines.Take(StackLines)));
        }
        if (double.IsFinite(checksum) && Math.Abs(checksum - expected) <= tolerance * Math.Max(1, Math.Abs(expected))) return null;
        return new ScalarRaceFailure(part.Name, iteration, $"wrong result: checksum {checksum:R}, reference {expected:R}", "", "");
    }

    /// <summary>Releases every part's inputs.</summary>
    public void Dispose()
    {
        if (released) return;
        released = true;
        foreach (var part in parts) part?.Release();
    }
}
