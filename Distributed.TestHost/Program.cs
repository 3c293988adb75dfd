using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Training;
using TorchSharp;

namespace Functional.Distributed.TestHost;

/// <summary>
/// <c>Functional.Distributed.TestHost &lt;folder&gt; &lt;epochs&gt; [&lt;die-rank&gt; &lt;die-at-step&gt;]</c>, under
/// <c>mpirun -np R</c>: trains <see cref="TinyJob"/> data-parallel for the given epochs from the newest checkpoint in
/// the folder (or from the start), rank 0 saving the whole train state after every step. With a die rank, that rank
/// kills itself (SIGKILL) when it is about to take the given step, after writing the time into <c>died-at.txt</c>.
/// </summary>
public static class Program
{
    /// <summary>Runs the job; 0 when it finished.</summary>
    public static int Main(string[] args)
    {
        var folder = args[0];
        var epochs = int.Parse(args[1], CultureInfo.InvariantCulture);
        var dieRank = args.Length > 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : -1;
        var dieAt = args.Length > 3 ? long.Parse(args[3], CultureInfo.InvariantCulture) : -1;
        torch.set_num_threads(1);
        using var communicator = Communicator.World();
        var store = communicator.IsRoot ? new CheckpointStore(folder, keepLast: 3) : null;
        RankCount.CheckAndRecord(communicator, folder, hasCheckpoints: store?.Steps().Count > 0);

        var fresh = TinyJob.InitParameters();
        var mine = TrainStateFile.ResumeOrInit(store, fresh, TinyJob.InitStats(), TinyJob.Pipeline, TinyJob.Seed, restart: false).State;
        var state = StateSync.Broadcast(communicator, mine);
        TrainState.Dispose(mine);
        Tree.Dispose(fresh);

        using var data = TinyJob.DataSet();
        var perEpoch = 0;
        void BeforeBatch(DataPosition position)
        {
            if (communicator.Rank != dieRank || (long)position.Epoch * perEpoch + position.Batch != dieAt) return;
            File.WriteAllText(Path.Combine(folder, "died-at.txt"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            Process.GetCurrentProcess().Kill();
        }
        var shards = TinyJob.Data(data, batch => [DataParallel.Shard(batch, communicator.Rank, communicator.Size)], BeforeBatch);
        perEpoch = shards.BatchesPerEpoch;
        var options = FitOptions.Default with { Epochs = epochs, Observers = store is null ? [] : [new CheckpointObserver(store, everySteps: 1)] };
        var result = DataParallelFit.Run(communicator, TinyJob.Model, TinyJob.Pipeline, state, shards, null, options, CancellationToken.None);
        StateSync.Verify(communicator, result.State);
        if (communicator.IsRoot)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rank 0 of {communicator.Size}: step {result.State.Step}, last epoch's loss {result.History[^1].Train[TrainingSteps.LossName]:R}"));
        if (!ReferenceEquals(result.State, state)) TrainState.Dispose(result.State);
        TrainState.Dispose(state);
        return 0;
    }
}
