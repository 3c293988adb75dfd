using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Distributed.TestHost;

/// <summary>
/// <c>overlap on|polling|thread|off &lt;bucket-bytes&gt; &lt;folder&gt; &lt;epochs&gt; [&lt;fault-rank&gt; &lt;fault-step&gt; kill-backward|throw-backward|throw-after-backward]</c>:
/// <see cref="TinyJob"/>'s data and pipeline with a model that uses its hidden weight twice (the layer, and a penalty on
/// it at the end of the loss, so backward reaches that leaf twice, as a tied embedding), trained data-parallel with
/// overlapped reduction on (progressed from backward's callbacks, the default), on with a polling thread as well
/// (<c>polling</c>), on with a communication thread (<c>thread</c>) or off, rank 0 saving a checkpoint after every step. The fault rank fails in the middle of
/// the backward of the fault step, after the output layer's gradients are final (killing itself, or throwing from
/// inside autograd), or (<c>throw-after-backward</c>) throws when the backward is done and every bucket handed over,
/// while the reductions may still run.
/// </summary>
public static class OverlapJob
{
    /// <summary>The loss: <see cref="TinyJob.Model"/>'s plus <c>0.01 · mean(hidden weight²)</c>, the hidden activation passed through <see cref="BackwardFault"/>.</summary>
    public static ModelLoss<TinyMlp, TinyStats, TinyBatch> Model { get; } = (m, batch, context) =>
    {
        var hidden = BackwardFault.Apply(Activations.Tanh(Linear.Apply(m.Hidden, batch.X)));
        var prediction = Linear.Apply(m.Output, hidden);
        var error = prediction.sub(batch.Y);
        using var weight = 0.01.ToScalar();
        var loss = error.pow(Scalars.Two).mean().add(m.Hidden.Weight.pow(Scalars.Two).mean(), weight);
        var metrics = new Dictionary<string, Tensor> { ["mae"] = error.abs().mean() };
        if (BackwardFault.Armed == "throw-after-backward")
        {
            // A metric named like the loss: the step refuses it after the backward, every bucket handed over.
            BackwardFault.Armed = "";
            metrics[TrainingSteps.LossName] = loss.detach();
        }
        var output = new ModelOutput<TinyStats>(loss, metrics);
        if (!context.Training) return output;
        using var half = 0.5.ToScalar();
        var stats = context.State;
        return output with { NextState = new TinyStats(stats.InputMean.add(batch.X.mean([0]), Scalars.One).mul(half)) };
    };

    /// <summary>Runs the job; see the class summary for the arguments.</summary>
    public static void Run(Communicator communicator, string[] args)
    {
        var exchange = new DataParallelOptions(args[0] != "off", long.Parse(args[1], CultureInfo.InvariantCulture))
        {
            Progress = args[0] switch
            {
                "thread" => OverlapProgress.CommunicationThread,
                "polling" => OverlapProgress.PollingThread,
                _ => OverlapProgress.BackwardCallbacks,
            },
        };
        var folder = args[2];
        var epochs = int.Parse(args[3], CultureInfo.InvariantCulture);
        var faultRank = args.Length > 6 ? int.Parse(args[4], CultureInfo.InvariantCulture) : -1;
        var faultAt = args.Length > 6 ? long.Parse(args[5], CultureInfo.InvariantCulture) : -1;
        var fault = args.Length > 6 ? args[6] : "";
        var store = communicator.IsRoot ? new CheckpointStore(folder, keepLast: 100) : null;
        RankCount.CheckAndRecord(communicator, folder, hasCheckpoints: false);
        var fresh = TinyJob.InitParameters();
        var state = TrainState.Init(fresh, TinyJob.InitStats(), TinyJob.Pipeline, TinyJob.Seed);
        using var data = TinyJob.DataSet();
        var perEpoch = 0;
        void BeforeBatch(DataPosition position)
        {
            if (communicator.Rank == faultRank && (long)position.Epoch * perEpoch + position.Batch == faultAt)
                BackwardFault.Armed = fault;
        }
        var shards = TinyJob.Data(data, batch => [DataParallel.Shard(batch, communicator.Rank, communicator.Size)], BeforeBatch);
        perEpoch = shards.BatchesPerEpoch;
        IFitObserver[] observers = store is null ? [] : [new CheckpointObserver(store, everySteps: 1)];
        var options = FitOptions.Default with { Epochs = epochs, Observers = observers };
        var result = DataParallelFit.Run(communicator, Model, TinyJob.Pipeline, state, shards, null, options, exchange, CancellationToken.None);
        StateSync.Verify(communicator, result.State);
        if (communicator.IsRoot)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rank 0 of {communicator.Size}: overlap {(exchange.Overlap ? $"on ({exchange.Progress})" : "off")}, {GradientBuckets.Plan(Tree.Leaves(fresh), exchange.BucketBytes).Leaves.Count} buckets, step {result.State.Step}, last step: {communicator.LastExchange?.StartedInBackward} of {communicator.LastExchange?.Buckets} buckets started in backward"));
        if (!ReferenceEquals(result.State, state)) TrainState.Dispose(result.State);
        TrainState.Dispose(state);
    }
}

/// <summary>
/// The identity, whose backward fails when armed (<see cref="Armed"/>: <c>kill-backward</c> kills the process,
/// <c>throw-backward</c> throws, from inside the native autograd engine).
/// </summary>
public sealed class BackwardFault : autograd.SingleTensorFunction<BackwardFault>
{
    /// <summary>The fault the next backward injects (then disarmed), or empty.</summary>
    public static string Armed { get; set; } = "";

    /// <inheritdoc />
    public override string Name => "BackwardFault";

    /// <summary><paramref name="tensor"/> through the node.</summary>
    public static Tensor Apply(Tensor tensor) => apply(tensor);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]).alias();

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var fault = Armed;
        Armed = "";
        if (fault == "kill-backward")
        {
            Console.Error.WriteLine("injected fault 'kill-backward': killing this rank in the middle of backward");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        }
        if (fault == "throw-backward") throw new InvalidOperationException("injected fault 'throw-backward'");
        return [grad_output];
    }
}
