using System.CommandLine;
using Functional.Distributed;

namespace Functional.Cli;

/// <summary>
/// The flags of a training command for how it trains under <c>mpirun</c> (<see cref="DataParallelRunOptions"/>): the exact,
/// world-size-invariant reduction (<c>--exact</c>, <c>--micro-shards</c>), ZeRO-1 sharded optimizer state (<c>--zero</c>)
/// and the plain reduction overlapped with backward (<c>--overlap</c>). Declared once here, added to a command with
/// <see cref="AddTo"/>; in one process they are refused (<see cref="DataParallelJob"/>).
/// </summary>
public sealed class DataParallelFlags
{
    readonly Option<bool> exact = Flags.Switch("--exact", false,
        "under mpirun: the world-size-invariant reduction (each global batch cut into --micro-shards, their gradients summed in a fixed order), so any process count writes the same checkpoint bytes");
    readonly Option<int> microShards = Flags.Size("--micro-shards", DataParallelRunOptions.DefaultMicroShards,
        "with --exact: micro-shards per global batch (at least the process count, at most the examples of the smallest batch)", Sizes.Batch);
    readonly Option<bool> zero = Flags.Switch("--zero", false,
        "under mpirun with --exact: shard the optimizer state across the processes (ZeRO stage 1; Adam runs stage by stage, not fused; the same bits for any process count; keeps no weight average: give --ema 0)");
    readonly Option<bool> overlap = Flags.Switch("--overlap", false,
        "under mpirun without --exact: all-reduce gradient buckets while backward still runs");

    /// <summary>The flags, in the order they are added to a command.</summary>
    public IReadOnlyList<Option> Declared => [exact, microShards, zero, overlap];

    /// <summary>
    /// Adds the flags to <paramref name="command"/>, with the check that they combine, also with the command's
    /// <paramref name="weightAverage"/> flag (<c>--ema</c>, 0 for none): ZeRO-1 keeps no weight average, which would
    /// live in pieces on the processes.
    /// </summary>
    public void AddTo(Command command, Option<double> weightAverage)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(weightAverage);
        foreach (var option in Declared) command.Options.Add(option);
        Flags.Validate(command, result =>
        {
            var isExact = Flags.TryGetValue(result, exact, out var e) && e;
            var isZero = Flags.TryGetValue(result, zero, out var z) && z;
            if (isZero && !isExact) result.AddError("--zero shards the optimizer state of the exact reduction: give --exact too.");
            if (isZero && Flags.TryGetValue(result, weightAverage, out var decay) && decay > 0)
                result.AddError($"--zero keeps no weight average: give --ema 0 (got --ema {decay.ToString(System.Globalization.CultureInfo.InvariantCulture)}; sharded, the average would live in pieces on the processes).");
            if (Flags.TryGetValue(result, overlap, out var o) && o && isExact) result.AddError("--overlap applies to the plain reduction; --exact exchanges the micro-shards' gradients after backward: give one of them.");
            if (result.GetResult(microShards) is { Implicit: false } && !isExact) result.AddError("--micro-shards is the cut of the exact reduction: give --exact too.");
        });
    }

    /// <summary>The options the parsed flags give.</summary>
    public DataParallelRunOptions Options(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return new DataParallelRunOptions(DataParallelOptions.Default with { Overlap = parsed.GetValue(overlap) }, parsed.GetValue(exact) ? parsed.GetValue(microShards) : 0, parsed.GetValue(zero));
    }
}
