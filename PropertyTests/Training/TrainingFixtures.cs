using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.PropertyTests.Training;

/// <summary>A small digit classifier on random data: fast enough to train many steps in a test.</summary>
static class TrainingFixtures
{
    /// <summary><paramref name="count"/> random digits drawn from <paramref name="seed"/>, each "image" dim noise with a bright stripe of 20 pixels at a place given by the digit (learnable).</summary>
    public static DigitBatch RandomDigits(int count, ulong seed)
    {
        using var generator = new torch.Generator(seed);
        var digits = torch.randint(0, 10, [count], generator: generator);
        using var dim = 0.5f.ToScalar();
        using var width = 20.ToScalar();
        using var noise = torch.rand([count, DigitClassifier.Pixels], generator: generator).mul(dim);
        using var columns = Ranges.Of(DigitClassifier.Pixels, torch.CPU).unsqueeze(0);
        using var start = digits.mul(width).unsqueeze(1);
        using var stripe = columns.ge(start).logical_and(columns.lt(start.add(width, Scalars.One)));
        return new DigitBatch(noise.where(stripe.logical_not(), 1f), digits);
    }

    public static DigitClassifier Model(ulong seed, int hidden = 16, double dropout = 0.3)
    {
        using var generator = new torch.Generator(seed);
        return DigitClassifier.Init(generator, hidden, dropout, torch.CPU);
    }

    /// <summary>Adam inside gradient accumulation over two micro-batches, with the parameter EMA advancing on real updates.</summary>
    public static IGradientTransformation AccumulatedAdamWithEma() =>
        new Accumulate(new Chain(Optimizer.Adam(1e-2), new ParameterEma(0.9, BiasCorrection: true)), 2);

    public static readonly ModelLoss<DigitClassifier, NoState, DigitBatch> Loss = DigitClassifier.Model;

    public static bool SameBytes(torch.Tensor first, torch.Tensor second)
    {
        using var a = first.contiguous();
        using var b = second.contiguous();
        return a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.bytes.SequenceEqual(b.bytes);
    }

    /// <summary>Whether two states are equal bit for bit: parameters, optimizer state, model state, random state, step and position.</summary>
    public static bool SameState<TParams, TModelState>(TrainState<TParams, TModelState> first, TrainState<TParams, TModelState> second) =>
        Tree.Leaves(first.Parameters).Zip(Tree.Leaves(second.Parameters)).All(pair => SameBytes(pair.Item1, pair.Item2))
        && OptimizerStates.Equal(first.OptimizerState, second.OptimizerState)
        && Tree.Flatten(first.ModelState).Select(leaf => leaf.Path).SequenceEqual(Tree.Flatten(second.ModelState).Select(leaf => leaf.Path))
        && Tree.Leaves(first.ModelState).Zip(Tree.Leaves(second.ModelState)).All(pair => SameBytes(pair.Item1, pair.Item2))
        && SameBytes(first.RandomState, second.RandomState)
        && first.Step == second.Step && first.Position == second.Position;

    public static string TemporaryFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "functional-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
