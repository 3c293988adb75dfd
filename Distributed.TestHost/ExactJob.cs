using System.Globalization;
using Functional.Core;
using Functional.Models.Digits;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Distributed.TestHost;

/// <summary>
/// <c>Functional.Distributed.TestHost exact &lt;folder&gt; &lt;model&gt; &lt;micro-shards&gt; &lt;batches-per-update&gt; &lt;epochs&gt; [&lt;mnist-folder&gt;]</c>,
/// under <c>mpirun -np R</c>: trains <c>model</c> (<c>tiny</c>: <see cref="TinyJob"/>; <c>mlp</c> or <c>conv</c>: the MNIST
/// perceptron or the convolutional classifier with batch norm, both with dropout; <c>mlp0</c>: the perceptron without dropout, on the first <see cref="MnistExamples"/> examples) with
/// <c>DataParallelFit.RunExact</c> from a fresh state; rank 0 saves the train state at the end of
/// every epoch into the folder. The result must not depend on R. <c>accumulate</c> instead of <c>exact</c> trains
/// the same model in one process with <see cref="Fit.Run{TParams, TModelState, TBatch}"/> and <c>Accumulate(pipeline, M)</c> on the
/// micro-shards, one by one (the reference of one batch per update). <c>zero</c> and <c>unsharded</c> (same arguments)
/// train with <see cref="ClippedPipeline"/> (Adam after global-norm clipping), resuming from the folder's newest checkpoint
/// (loaded on rank 0 and broadcast): <c>zero</c> with the optimizer state sharded (ZeRO-1), <c>unsharded</c> without.
/// </summary>
public static class ExactJob
{
    /// <summary>The MNIST examples trained on.</summary>
    public const int MnistExamples = 384;

    /// <summary>The MNIST global batch.</summary>
    public const int MnistBatch = 48;

    /// <summary>The seed of the MNIST runs.</summary>
    public const int MnistSeed = 5;

    /// <summary>The pipeline of every model: staged Adam with a constant rate.</summary>
    public static IGradientTransformation Pipeline { get; } = Optimizer.Adam(0.003);

    /// <summary>The pipeline of the ZeRO-1 jobs: Adam after clipping to a global norm small enough to clip most steps.</summary>
    public static IGradientTransformation ClippedPipeline { get; } = new Chain(new ClipByGlobalNorm(0.05), Optimizer.Adam(0.003));

    /// <summary>Fresh MNIST perceptron parameters (the same from the seed in every process).</summary>
    public static DigitClassifier InitMlp()
    {
        using var generator = new torch.Generator(MnistSeed);
        return DigitClassifier.Init(generator, 32, 0.1, torch.CPU);
    }

    /// <summary>Fresh convolutional classifier parameters (the same from the seed in every process).</summary>
    public static ConvDigitClassifier InitConv()
    {
        using var generator = new torch.Generator(MnistSeed);
        return ConvDigitClassifier.Init(generator, 4, 0.1, torch.CPU);
    }

    /// <summary>Runs the job named by <paramref name="args"/> (after <c>exact</c> or <c>accumulate</c>).</summary>
    public static void Run(Communicator communicator, bool exact, string[] args) => Run(communicator, exact, null, args);

    /// <summary>Runs a ZeRO-1 job (<paramref name="shard"/>) or its unsharded reference, resuming from the folder.</summary>
    public static void RunSharding(Communicator communicator, bool shard, string[] args) => Run(communicator, true, shard, args);

    static void Run(Communicator communicator, bool exact, bool? shard, string[] args)
    {
        var folder = args[0];
        var model = args[1];
        var microShards = int.Parse(args[2], CultureInfo.InvariantCulture);
        var perUpdate = int.Parse(args[3], CultureInfo.InvariantCulture);
        var epochs = int.Parse(args[4], CultureInfo.InvariantCulture);
        switch (model)
        {
            case "tiny":
            {
                using var data = TinyJob.DataSet();
                IReadOnlyList<int[]> Plan(int epoch) => BatchPlan.Shuffled(TinyJob.Examples, TinyJob.GlobalBatch, TinyJob.Seed, epoch).ToArray();
                TinyBatch Load(int[] indices)
                {
                    using var index = torch.tensor(indices, dtype: torch.int64);
                    return new TinyBatch(data.X.index_select(0, index), data.Y.index_select(0, index));
                }
                Train(communicator, exact, shard, folder, TinyJob.InitParameters(), TinyJob.InitStats(), TinyJob.Model, TinyJob.Seed, Plan, Load, microShards, perUpdate, epochs);
                break;
            }
            case "mlp" or "mlp0" or "conv":
            {
                using var split = MnistSplit.Load(args[5], 10_000 - MnistExamples);
                IReadOnlyList<int[]> Plan(int epoch) => BatchPlan.Shuffled(MnistExamples, MnistBatch, MnistSeed, epoch).ToArray();
                DigitBatch Load(int[] indices) => DigitBatch.Gather(split.Train.Pixels, split.Train.Digits, indices);
                if (model != "conv") Train(communicator, exact, shard, folder, model == "mlp" ? InitMlp() : InitMlp() with { DropoutRate = 0 }, NoState.Value, DigitClassifier.Model, MnistSeed, Plan, Load, microShards, perUpdate, epochs);
                else
                {
                    var conv = InitConv();
                    Train(communicator, exact, shard, folder, conv, ConvDigitClassifier.InitStats(conv), ConvDigitClassifier.Model, MnistSeed, Plan, Load, microShards, perUpdate, epochs);
                }
                break;
            }
            default: throw new ArgumentException($"Unknown model '{model}': tiny, mlp, mlp0 or conv.", nameof(args));
        }
    }

    static void Train<TParams, TModelState, TBatch>(Communicator communicator, bool exact, bool? shard, string folder, TParams fresh, TModelState freshState, ModelLoss<TParams, TModelState, TBatch> model, ulong seed,
        Func<int, IReadOnlyList<int[]>> plan, Func<int[], TBatch> load, int microShards, int perUpdate, int epochs)
    {
        var store = communicator.IsRoot ? new CheckpointStore(folder, keepLast: 1) : null;
        IFitObserver[] observers = store is null ? [] : [new CheckpointObserver(store)];
        var options = FitOptions.Default with { Epochs = epochs, Observers = observers };
        var batchesPerEpoch = plan(0).Count;
        FitResult<TParams, TModelState> result;
        if (shard is { } sharded)
        {
            var mine = TrainStateFile.ResumeOrInit(store, fresh, freshState, ClippedPipeline, seed, restart: false).State;
            var state = StateSync.Broadcast(communicator, mine);
            TrainState.Dispose(mine);
            var data = ExactShares.Data(plan, batchesPerEpoch, load, microShards, perUpdate, communicator.Rank, communicator.Size);
            result = sharded
                ? DataParallelFit.RunExact(communicator, model, ClippedPipeline, state, data, null, options, CancellationToken.None, ZeroOptions.Default)
                : DataParallelFit.RunExact(communicator, model, ClippedPipeline, state, data, null, options, CancellationToken.None);
        }
        else if (exact)
        {
            var state = TrainState.Init(fresh, freshState, Pipeline, seed);
            var data = ExactShares.Data(plan, batchesPerEpoch, load, microShards, perUpdate, communicator.Rank, communicator.Size);
            result = DataParallelFit.RunExact(communicator, model, Pipeline, state, data, null, options, CancellationToken.None);
        }
        else
        {
            if (communicator.Size != 1 || perUpdate != 1) throw new ArgumentException("The accumulate reference runs in one process with one batch per update.");
            var pipeline = new Accumulate(Pipeline, microShards);
            var state = TrainState.Init(fresh, freshState, pipeline, seed);
            var data = new TrainingData<TBatch>(batchesPerEpoch * microShards, position =>
                plan(position.Epoch).SelectMany(batch => MicroShards.Cut(batch, microShards, 0, 1)).Skip(position.Batch).Select(load));
            result = Fit.Run(model, pipeline, state, data, null, options, CancellationToken.None);
        }
        if (communicator.IsRoot)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rank 0 of {communicator.Size}: step {result.State.Step}, last epoch's loss {result.History[^1].Train[TrainingSteps.LossName]:R}"));
    }
}
