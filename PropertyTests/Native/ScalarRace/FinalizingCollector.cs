namespace Functional.PropertyTests.Native;

/// <summary>
/// A background thread that forces garbage collections with finalizers run, over and over, until disposed: the
/// "another thread" of TorchSharp 0.107's implicit-Scalar race (a Scalar that only a finalizer frees, not kept alive
/// across the native call that reads it). Between collections it allocates a little, so that gen0 collections also
/// start on their own whatever the gen0 budget.
/// </summary>
/// <remarks>
/// Mostly gen0 collections, with a full one every <see cref="FullEvery"/> rounds. The race needs the collection and
/// the finalizer to finish while the native call is still running (a thread in native code is not stopped by a
/// collection, and the call is microseconds long): a gen0 collection is that short, whereas a full collection of a
/// large heap (a test host's, with xunit and FsCheck loaded) mostly outlasts the call. Measured in the test host:
/// full collections in a loop (about 200 a second) found no failure in 12 iterations of the workload; gen0 collections
/// with a full one every 64 rounds found 5 in 30, every 1024 rounds 7 in 30. The implicit Scalars die young, so gen0
/// collections find them; the occasional full collection frees those that were promoted.
/// Contract: the thread runs from construction to <see cref="Dispose"/>, which stops and joins it (idempotent);
/// <see cref="Collections"/> counts the forced collections. It touches no tensor and holds nothing between rounds.
/// </remarks>
public sealed class FinalizingCollector : IDisposable
{
    /// <summary>Small arrays allocated per round: about 64 KB, enough to move gen0 along.</summary>
    const int AllocationsPerRound = 64;

    /// <summary>One round in this many forces a full collection instead of a gen0 one.</summary>
    const int FullEvery = 1024;

    readonly Thread thread;
    volatile bool stopping;
    long collections;

    /// <summary>Starts the collecting thread.</summary>
    public FinalizingCollector()
    {
        thread = new Thread(Loop) { IsBackground = true, Name = "finalizing collector" };
        thread.Start();
    }

    /// <summary>The number of forced collections so far.</summary>
    public long Collections => Interlocked.Read(ref collections);

    /// <summary>Stops the thread and waits for it.</summary>
    public void Dispose()
    {
        stopping = true;
        thread.Join();
    }

    void Loop()
    {
        var keep = new byte[AllocationsPerRound][];
        while (!stopping)
        {
            var round = Interlocked.Increment(ref collections);
            GC.Collect(round % FullEvery == 0 ? GC.MaxGeneration : 0);
            GC.WaitForPendingFinalizers();
            for (var i = 0; i < keep.Length; i++) keep[i] = new byte[1024];
            Array.Clear(keep);
        }
    }
}
