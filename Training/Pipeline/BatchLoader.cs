using System.Runtime.ExceptionServices;
using Functional.Core;

namespace Functional.Training;

/// <summary>
/// Makes the batches of a plan on background workers, with bounded prefetch, and hands them out in plan order.
/// </summary>
/// <remarks>
/// Contract: the batches come out in the order of the plan whatever the number of workers, each exactly once; at
/// most <c>prefetch</c> batches are made ahead of the one the consumer is using. An exception thrown by
/// <c>collate</c> is rethrown to the consumer, with its original stack, when the consumer reaches that batch; the
/// workers stop. Cancelling the token, or leaving the loop early, stops the workers before the enumeration ends and
/// disposes the batches made but not handed out (when they are <see cref="IDisposable"/>). The consumer owns every
/// batch it receives. Workers run <c>collate</c> concurrently, so it must not share mutable state.
/// </remarks>
public static class BatchLoader
{
    /// <summary>
    /// The most workers a loader starts: four per core of this machine. Each worker is a thread holding a batch in
    /// the making; collating is lighter than the step it feeds, so more workers than this only add threads and memory.
    /// </summary>
    public static int MaxWorkers => 4 * Environment.ProcessorCount;

    /// <summary>
    /// The batches <paramref name="collate"/> makes from the index lists of <paramref name="plan"/>, from batch
    /// <paramref name="startBatch"/> on (to resume at a <see cref="DataPosition"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one worker (or more than <see cref="MaxWorkers"/>) or prefetch slot, or a start outside the plan.</exception>
    public static IEnumerable<TBatch> Load<TBatch>(
        IReadOnlyList<int[]> plan, Func<int[], TBatch> collate, int workers, int prefetch, int startBatch, CancellationToken cancellation)
    {
        if (workers < 1 || workers > MaxWorkers)
            throw new ArgumentOutOfRangeException(nameof(workers), workers, $"The workers must be in [1, {MaxWorkers}] (four per core of this machine).");
        if (prefetch < 1) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "At least one batch must be prefetched.");
        if (startBatch < 0 || startBatch > plan.Count)
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"The plan has {plan.Count} batches.");
        return Run(plan, collate, workers, prefetch, startBatch, cancellation);
    }

    static IEnumerable<TBatch> Run<TBatch>(IReadOnlyList<int[]> plan, Func<int[], TBatch> collate, int workerCount, int prefetch, int startBatch, CancellationToken cancellation)
    {
        var slots = Enumerable.Range(0, plan.Count).Select(_ => new TaskCompletionSource<TBatch>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var permits = new SemaphoreSlim(prefetch);
        var next = startBatch - 1;

        void Work()
        {
            try
            {
                while (true)
                {
                    permits.Wait(stop.Token);
                    var index = Interlocked.Increment(ref next);
                    if (index >= plan.Count) return;
                    try
                    {
                        slots[index].SetResult(collate(plan[index]));
                    }
                    catch (Exception error)
                    {
                        slots[index].SetException(error);
                        stop.Cancel();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) { }
        }

        var workers = Enumerable.Range(0, workerCount).Select(_ => new Thread(Work) { IsBackground = true, Name = "batch loader" }).ToArray();
        foreach (var worker in workers) worker.Start();
        try
        {
            for (var handedOut = startBatch; handedOut < plan.Count; handedOut++)
            {
                // A batch already made is not handed out once cancellation was asked for.
                cancellation.ThrowIfCancellationRequested();
                var slot = slots[handedOut].Task;
                try
                {
                    slot.Wait(cancellation);
                }
                catch (AggregateException failed) when (failed.InnerExceptions.Count == 1)
                {
                    ExceptionDispatchInfo.Capture(failed.InnerExceptions[0]).Throw();
                }
                var batch = slot.Result;
                slots[handedOut] = null!;
                permits.Release();
                yield return batch;
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var worker in workers) worker.Join();
            // Handed-out slots were cleared; what is left was made for nobody.
            for (var i = startBatch; i < plan.Count; i++)
                if (slots[i] is { Task.IsCompletedSuccessfully: true } made && made.Task.Result is IDisposable disposable)
                    disposable.Dispose();
        }
    }
}
