using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Training;
using TorchSharp;

namespace Functional.Distributed.TestHost;

/// <summary>
/// <c>Functional.Distributed.TestHost &lt;folder&gt; &lt;epochs&gt; [&lt;fault-rank&gt; &lt;fault-step&gt; [&lt;fault&gt;]]</c>,
/// under <c>mpirun -np R</c>: trains <see cref="TinyJob"/> data-parallel for the given epochs from the newest checkpoint
/// in the folder (or from the start), rank 0 saving the whole train state after every step. With a fault rank, that rank
/// fails: <c>kill</c> (the default) kills itself (SIGKILL) when it is about to take the given step, after writing the time
/// into <c>died-at.txt</c>; the other faults throw an exception there instead (<c>throw-step</c>), or at another stage:
/// <c>throw-start</c> before the rank-count check (the job's first collective), <c>throw-resume</c> after it, before the
/// state broadcast (as a damaged checkpoint does on the root), <c>throw-save</c> in the checkpoint observer at the given
/// step (rank 0 only: the saving rank), <c>throw-end</c> after the fit, before the final state check. A thrown fault ends
/// the job through <see cref="JobFailure"/>, as the command line does. <c>exact ...</c>, <c>accumulate ...</c>, <c>zero ...</c> and <c>unsharded ...</c> run <see cref="ExactJob"/>, <c>overlap ...</c> <see cref="OverlapJob"/>.
/// </summary>
public static class Program
{
    /// <summary>Runs the job; 0 when it finished.</summary>
    public static int Main(string[] args)
    {
        if (args[0] is "zero" or "unsharded")
        {
            torch.set_num_threads(1);
            using var job = Communicator.World();
            JobFailure.EndJobOnFailure(job, () => ExactJob.RunSharding(job, args[0] == "zero", args[1..]), Console.Error,
                thrown => new FailureReport("error: " + thrown.Message, 1));
            return 0;
        }
        if (args[0] is "exact" or "accumulate")
        {
            torch.set_num_threads(1);
            using var job = Communicator.World();
            JobFailure.EndJobOnFailure(job, () => ExactJob.Run(job, args[0] == "exact", args[1..]), Console.Error,
                thrown => new FailureReport("error: " + thrown.Message, 1));
            return 0;
        }
        if (args[0] == "overlap")
        {
            torch.set_num_threads(1);
            using var job = Communicator.World();
            JobFailure.EndJobOnFailure(job, () => OverlapJob.Run(job, args[1..]), Console.Error,
                thrown => new FailureReport("error: " + thrown.Message, 1));
            return 0;
        }
        var folder = args[0];
        var epochs = int.Parse(args[1], CultureInfo.InvariantCulture);
        var faultRank = args.Length > 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : -1;
        var faultAt = args.Length > 3 ? long.Parse(args[3], CultureInfo.InvariantCulture) : -1;
        var fault = args.Length > 4 ? args[4] : "kill";
        torch.set_num_threads(1);
        using var communicator = Communicator.World();
        JobFailure.EndJobOnFailure(communicator, () => Train(communicator, folder, epochs, faultRank, faultAt, fault), Console.Error,
            thrown => new FailureReport("error: " + thrown.Message, 1));
        return 0;
    }

    static void Train(Communicator communicator, string folder, int epochs, int faultRank, long faultAt, string fault)
    {
        void Inject(string stage)
        {
            if (communicator.Rank == faultRank && fault == stage)
                throw new InvalidOperationException($"injected fault '{stage}' on rank {communicator.Rank}");
        }
        Inject("throw-start");
        var store = communicator.IsRoot ? new CheckpointStore(folder, keepLast: 3) : null;
        RankCount.CheckAndRecord(communicator, folder, hasCheckpoints: store?.Steps().Count > 0);
        Inject("throw-resume");

        var fresh = TinyJob.InitParameters();
        var mine = TrainStateFile.ResumeOrInit(store, fresh, TinyJob.InitStats(), TinyJob.Pipeline, TinyJob.Seed, restart: false).State;
        var state = StateSync.Broadcast(communicator, mine);
        TrainState.Dispose(mine);
        Tree.Dispose(fresh);

        using var data = TinyJob.DataSet();
        var perEpoch = 0;
        void BeforeBatch(DataPosition position)
        {
            if (communicator.Rank != faultRank || (long)position.Epoch * perEpoch + position.Batch != faultAt) return;
            if (fault == "kill")
            {
                File.WriteAllText(Path.Combine(folder, "died-at.txt"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                Process.GetCurrentProcess().Kill();
            }
            Inject("throw-step");
        }
        var shards = TinyJob.Data(data, batch => [DataParallel.Shard(batch, communicator.Rank, communicator.Size)], BeforeBatch);
        perEpoch = shards.BatchesPerEpoch;
        IFitObserver[] observers = store is null ? [] : [new CheckpointObserver(store, everySteps: 1), new StepCallback(step => { if (step == faultAt) Inject("throw-save"); })];
        var options = FitOptions.Default with { Epochs = epochs, Observers = observers };
        var result = DataParallelFit.Run(communicator, TinyJob.Model, TinyJob.Pipeline, state, shards, null, options, CancellationToken.None);
        Inject("throw-end");
        StateSync.Verify(communicator, result.State);
        if (communicator.IsRoot)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rank 0 of {communicator.Size}: step {result.State.Step}, last epoch's loss {result.History[^1].Train[TrainingSteps.LossName]:R}"));
        if (!ReferenceEquals(result.State, state)) TrainState.Dispose(result.State);
        TrainState.Dispose(state);
    }

    /// <summary>Calls <paramref name="Action"/> with the step number after every step.</summary>
    sealed record StepCallback(Action<long> Action) : IFitObserver
    {
        public void StepFinished<TParams, TModelState>(StepEnd<TParams, TModelState> step) => Action(step.State.Step);
    }
}
