namespace Functional.Distributed;

/// <summary>
/// ZeRO stage 1 for <c>DataParallelFit.RunExact(..., ZeroOptions)</c>:
/// each rank keeps the optimizer state of its own parameter leaves (<see cref="ZeroShards"/>). The observers see the
/// whole state, gathered from the ranks, at every epoch's last step and end, at the step after which the fit stops, and
/// every <see cref="GatherEverySteps"/> steps; at the other steps they see the root's shard (counters and parameters whole).
/// </summary>
/// <param name="GatherEverySteps">Also gather every that many steps (give a checkpoint observer's <c>everySteps</c>); 0: only at epoch ends and stops.</param>
public sealed record ZeroOptions(int GatherEverySteps)
{
    /// <summary>Gather at epoch ends and stops only.</summary>
    public static ZeroOptions Default { get; } = new(0);

    /// <summary>Also gather every that many steps, &gt;= 0 (0: only at epoch ends and stops).</summary>
    public int GatherEverySteps { get; init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(GatherEverySteps), value, "The gather interval is 0 (epoch ends and stops only) or positive."); }
        = GatherEverySteps >= 0 ? GatherEverySteps : throw new ArgumentOutOfRangeException(nameof(GatherEverySteps), GatherEverySteps, "The gather interval is 0 (epoch ends and stops only) or positive.");
}
