using Functional.Core;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Distributed.TestHost;

/// <summary>A two-layer regressor.</summary>
/// <param name="Hidden">The hidden layer.</param>
/// <param name="Output">The output layer.</param>
public sealed record TinyMlp(LinearParams Hidden, LinearParams Output);

/// <summary>The job's model state: a running mean of the inputs, as a batch norm keeps (it does not enter the loss).</summary>
/// <param name="InputMean">[Inputs], updated in training as <c>(old + batch mean) / 2</c>.</param>
public sealed record TinyStats(torch.Tensor InputMean);

/// <summary>One global batch of the job: inputs and targets.</summary>
/// <param name="X">Inputs, <c>[n, Inputs]</c>.</param>
/// <param name="Y">Targets, <c>[n, 1]</c>.</param>
public sealed record TinyBatch(torch.Tensor X, torch.Tensor Y) : IDisposable
{
    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}

/// <summary>
/// The job the distributed tests run, shared with the tests' single-process reference: 64 synthetic examples, global
/// batches of 16 in a seeded shuffled order, a small MLP with a mean-squared-error loss (a mean over examples, so equal
/// shards make the data-parallel update the global-batch update), staged Adam.
/// </summary>
public static class TinyJob
{
    /// <summary>Examples in the data set.</summary>
    public const int Examples = 64;

    /// <summary>Examples per global batch.</summary>
    public const int GlobalBatch = 16;

    /// <summary>Input features.</summary>
    public const int Inputs = 6;

    /// <summary>Seed of data, initialisation and batch order.</summary>
    public const int Seed = 3;

    /// <summary>
    /// The loss: mean squared error, with the mean absolute error as a metric; in training it also advances the running
    /// mean of the inputs (<see cref="TinyStats"/>), which data parallelism averages over the ranks.
    /// </summary>
    public static ModelLoss<TinyMlp, TinyStats, TinyBatch> Model { get; } = (m, batch, context) =>
    {
        var prediction = Linear.Apply(m.Output, Activations.Tanh(Linear.Apply(m.Hidden, batch.X)));
        var error = prediction - batch.Y;
        var output = new ModelOutput<TinyStats>(error.pow(Scalars.Two).mean(), new Dictionary<string, torch.Tensor> { ["mae"] = error.abs().mean() });
        if (!context.Training) return output;
        using var half = 0.5.ToScalar();
        var stats = context.State;
        return output with { NextState = new TinyStats(stats.InputMean.add(batch.X.mean([0]), Scalars.One).mul(half)) };
    };

    /// <summary>The initial model state: a zero running mean.</summary>
    public static TinyStats InitStats() => new(torch.zeros(Inputs));

    /// <summary>Staged Adam with a constant rate (the same kernels in every process, so results compare bitwise).</summary>
    public static IGradientTransformation Pipeline { get; } = Optimizer.Adam(0.01);

    /// <summary>The initial parameters (the same from the seed in every process).</summary>
    public static TinyMlp InitParameters()
    {
        using var generator = new torch.Generator(Seed);
        return new TinyMlp(Linear.Init(generator, Inputs, 16, torch.CPU), Linear.Init(generator, 16, 1, torch.CPU));
    }

    /// <summary>The data set: inputs and targets <c>sin(sum of inputs)</c>.</summary>
    public static TinyBatch DataSet()
    {
        using var generator = new torch.Generator(Seed + 1);
        var x = torch.randn([Examples, Inputs], generator: generator);
        using var sum = x.sum(1, keepdim: true);
        return new TinyBatch(x, sum.sin());
    }

    /// <summary>The batches of one epoch: the global batches of a seeded shuffle, each cut by <paramref name="cut"/> into the index lists to yield.</summary>
    public static TrainingData<TinyBatch> Data(TinyBatch data, Func<int[], IEnumerable<int[]>> cut, Action<DataPosition>? beforeBatch = null)
    {
        var perEpoch = BatchPlan.Shuffled(Examples, GlobalBatch, Seed, 0).SelectMany(cut).Count();
        return new TrainingData<TinyBatch>(perEpoch, position =>
            Batches(data, BatchPlan.Shuffled(Examples, GlobalBatch, Seed, position.Epoch).SelectMany(cut).ToArray(), position, beforeBatch));
    }

    static IEnumerable<TinyBatch> Batches(TinyBatch data, int[][] plan, DataPosition position, Action<DataPosition>? beforeBatch)
    {
        for (var b = position.Batch; b < plan.Length; b++)
        {
            beforeBatch?.Invoke(position with { Batch = b });
            using var indices = torch.tensor(plan[b], dtype: torch.int64);
            yield return new TinyBatch(data.X.index_select(0, indices), data.Y.index_select(0, indices));
        }
    }
}
