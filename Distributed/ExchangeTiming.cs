namespace Functional.Distributed;

/// <summary>
/// Two moments of one data-parallel step on one rank, as <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> values:
/// when its backward had ended (every gradient computed; the overlapped reductions may still run) and when it held the
/// mean gradients. On one host every process reads the same monotonic clock, so for a step the latest
/// <see cref="BackwardEnded"/> over the ranks splits this rank's wait in two: until then it waited for a slower rank
/// (imbalance, which no reduction can hide), after it for the reduction itself.
/// </summary>
/// <param name="BackwardEnded">The step's backward had ended on this rank.</param>
/// <param name="MeansReady">The step had the mean gradients (and model state, loss, metrics).</param>
/// <param name="Buckets">The step's gradient buckets (<see cref="GradientBuckets"/>; 0 without overlap).</param>
/// <param name="StartedInBackward">How many buckets' reductions had started when backward ended.</param>
/// <param name="CompletedInBackward">How many of them had completed by then.</param>
public sealed record ExchangeTiming(long BackwardEnded, long MeansReady, int Buckets, int StartedInBackward, int CompletedInBackward);
