using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

/// <summary>A batch norm and an input together, so GradCheck checks the input's gradient as well as the parameters'.</summary>
public sealed record BatchNormAndInput(BatchNormParams Norm, torch.Tensor X);

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
[Collection(TorchSharpPeerCollection.Name)]
public sealed class BatchNormTests
{
    static readonly double[] Momenta = [0.1, 0.3, 0.9, 1.0];
    static readonly double[] Epsilons = [1e-5, 1e-3, 0.1];

    /// <summary>A batch norm with random weight and bias, and one of the momenta and epsilons.</summary>
    static BatchNormParams Random(torch.Generator generator, int channels, int config) =>
        BatchNorm.Init(channels, Cpu) with
        {
            Weight = Normal(generator, channels),
            Bias = Normal(generator, channels),
            Momentum = Momenta[Math.Abs(config % Momenta.Length)],
            Epsilon = Epsilons[Math.Abs(config / Momenta.Length % Epsilons.Length)],
        };

    /// <summary>Statistics away from the initial ones (positive variances), so a blend that ignores the old ones shows.</summary>
    static BatchNormStats RandomStats(torch.Generator generator, int channels, long tracked)
    {
        using var half = 0.5.ToScalar();
        return new(Normal(generator, channels), torch.rand(channels, generator: generator).add(half, Scalars.One), torch.tensor(tracked));
    }

    /// <summary>[batch, channels], [batch, a, channels] or [batch, a, b, channels], by <paramref name="rank"/> 2, 3 or 4.</summary>
    static long[] Shape(int rank, int batch, int a, int b, int channels) =>
        rank switch { 2 => [batch, channels], 3 => [batch, a, channels], _ => [batch, a, b, channels] };

    static int Rank(int choice) => 2 + Math.Abs(choice % 3);

    /// <summary>
    /// Normal values with a per-channel scale in [0.5, 2.5] and offset in [-3, 3], so mean and variance matter (a scale
    /// near 0 under a large offset would be ill-conditioned in float32 for any two implementations).
    /// </summary>
    static torch.Tensor Input(torch.Generator generator, long[] shape)
    {
        var channels = shape[^1];
        using var three = 3.ToScalar();
        using var six = 6.ToScalar();
        var scale = torch.rand(channels, generator: generator).mul(Scalars.Two).add(Scalars.Half, Scalars.One);
        var offset = torch.rand(channels, generator: generator).mul(six).sub(three);
        return Normal(generator, shape).mul(scale).add(offset, Scalars.One);
    }

    /// <summary>PyTorch's module for the rank, holding the same parameters and statistics.</summary>
    static torch.nn.Module<torch.Tensor, torch.Tensor> Module(int rank, BatchNormParams p, BatchNormStats stats)
    {
        var channels = p.Weight.shape[0];
        var module = rank == 4
            ? (TorchSharp.Modules.NormBase)torch.nn.BatchNorm2d(channels, p.Epsilon, p.Momentum)
            : torch.nn.BatchNorm1d(channels, p.Epsilon, p.Momentum);
        CopyInto(module.weight, p.Weight);
        CopyInto(module.bias, p.Bias);
        CopyInto(module.running_mean, stats.RunningMean);
        CopyInto(module.running_var, stats.RunningVar);
        CopyInto(module.num_batches_tracked, stats.BatchesTracked);
        return module;
    }

    /// <summary>
    /// The module on the channels-first form of channels-last <paramref name="x"/>, back in channels-last. The peer's
    /// forward makes a temporary Scalar of its own (FT0003: <c>num_batches_tracked.add_(1)</c>), which a collection
    /// could finalize mid-call ("Unknown scalar type" was seen once); no collection runs inside the call.
    /// </summary>
    static torch.Tensor Forward(torch.nn.Module<torch.Tensor, torch.Tensor> module, torch.Tensor x) => WithoutCollection(() => x.dim() switch
    {
        2 => module.forward(x),
        3 => module.forward(x.transpose(1, 2)).transpose(1, 2),
        _ => module.forward(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1),
    });

    /// <summary>Runs <paramref name="peer"/> in a region where the garbage collector does not run (so no finalizer either).</summary>
    static T WithoutCollection<T>(Func<T> peer)
    {
        bool started;
        try { started = GC.TryStartNoGCRegion(16_000_000); }
        catch (InvalidOperationException) { started = false; }   // a region of another test is open: run as before
        try { return peer(); }
        finally { if (started && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion(); }
    }

    static void AssertStatsEqualBuffers(torch.nn.Module<torch.Tensor, torch.Tensor> module, BatchNormStats stats)
    {
        var buffers = (TorchSharp.Modules.NormBase)module;
        AssertClose(buffers.running_mean!, stats.RunningMean, atol: 1e-5);
        AssertClose(buffers.running_var!, stats.RunningVar, atol: 1e-5);
        Assert.True(Same.Bitwise(buffers.num_batches_tracked!, stats.BatchesTracked));
    }

    [Property(MaxTest = 300)]
    public void Agrees_with_nn_BatchNorm_over_training_steps_and_then_in_evaluation(Batch batch, Dim a, Dim b, Dim channels, int rankChoice, int config, Batch steps, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var rank = Rank(rankChoice);
        var p = Random(generator, channels, config);
        var stats = RandomStats(generator, channels, tracked: seed & 7);
        using var module = Module(rank, p, stats);

        module.train();
        for (var step = 0; step < steps; step++)
        {
            // The batch size changes between steps; at least 2 so training has two values per channel.
            var x = Input(generator, Shape(rank, 1 + batch + step % 2, a, b, channels));
            var result = BatchNorm.Apply(p, stats, x, training: true);
            AssertClose(Forward(module, x), result.Output, atol: 1e-5);
            AssertStatsEqualBuffers(module, result.Stats);
            stats = result.Stats;
        }

        module.eval();
        var test = Input(generator, Shape(rank, batch, a, b, channels));
        var evaluated = BatchNorm.Apply(p, stats, test, training: false);
        AssertClose(Forward(module, test), evaluated.Output, atol: 1e-5);
        AssertStatsEqualBuffers(module, evaluated.Stats);
    }

    [Property(MaxTest = 300)]
    public void Evaluation_normalises_each_row_alone_and_returns_the_statistics_unchanged_as_fresh_aliases(Batch batch, Dim a, Dim b, Dim channels, int rankChoice, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Random(generator, channels, config);
        var stats = RandomStats(generator, channels, tracked: 5);
        var x = Input(generator, Shape(Rank(rankChoice), batch, a, b, channels));

        var result = BatchNorm.Apply(p, stats, x, training: false);
        for (var row = 0; row < batch; row++)
        {
            var alone = BatchNorm.Apply(p, stats, x.narrow(0, row, 1), training: false).Output;
            Assert.True(Same.Bitwise(alone, result.Output.narrow(0, row, 1)), $"row {row} alone differs");
        }
        foreach (var (given, returned) in Tree.Leaves(stats).Zip(Tree.Leaves(result.Stats)))
        {
            Assert.True(Same.Bitwise(given, returned));
            Assert.NotEqual(given.Handle, returned.Handle);
        }
    }

    [Property(MaxTest = 300)]
    public void Masked_normalises_over_the_real_positions_only_and_padding_changes_nothing(Batch batch, Dim length, Dim channels, int config, bool training, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Random(generator, channels, config);
        var stats = RandomStats(generator, channels, tracked: 3);
        var values = Input(generator, [batch, length, channels]);
        // Random real positions; the first row is all padding when the batch has more than one row.
        var rowIndex = Ranges.Of(batch, Cpu).unsqueeze(1);
        using var last = (batch - 1).ToScalar();
        var mask = torch.rand([batch, length], generator: generator).lt(Scalars.Half).logical_and(rowIndex.gt(Scalars.Zero).logical_or(rowIndex.eq(last)));
        var real = Masks.RealRows(values, mask);
        if (training && real.shape[0] < 2)
        {
            Assert.Contains("more than 1 value per channel when training",
                Assert.Throws<LayerInputException>(() => BatchNorm.Apply(p, stats, new MaskedSequence(values, mask), training)).Message);
            return;
        }

        var result = BatchNorm.Apply(p, stats, new MaskedSequence(values, mask), training);
        using var module = Module(2, p, stats);
        if (training) module.train(); else module.eval();
        AssertClose(Forward(module, real), Masks.RealRows(result.Output.Values, mask), atol: 1e-5);
        AssertStatsEqualBuffers(module, result.Stats);
        Assert.True(Same.Bitwise(mask, result.Output.Mask));
        Assert.NotEqual(mask.Handle, result.Output.Mask.Handle);
        var padded = mask.logical_not().unsqueeze(-1).expand(values.shape);
        Assert.True(result.Output.Values.masked_select(padded).eq(Scalars.Zero).all().item<bool>());

        // Padding holding anything, even NaN and infinity, changes neither the output nor the statistics.
        using var nan = double.NaN.ToScalar();
        using var infinity = double.PositiveInfinity.ToScalar();
        var garbage = values.masked_fill(padded, nan).masked_fill(padded & torch.rand(values.shape, generator: generator).lt(Scalars.Half), infinity);
        var again = BatchNorm.Apply(p, stats, new MaskedSequence(garbage, mask), training);
        Assert.True(Same.Bitwise(result.Output.Values, again.Output.Values));
        foreach (var (first, second) in Tree.Leaves(result.Stats).Zip(Tree.Leaves(again.Stats)))
            Assert.True(Same.Bitwise(first, second));
        Assert.True(again.Output.Values.isfinite().all().item<bool>());
    }

    [Property(MaxTest = 100)]
    public void Gradient_passes_GradCheck_for_input_weight_and_bias(Batch batch, Dim a, Dim b, Dim channels, int rankChoice, int config, bool training, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var rank = Rank(rankChoice);
        var shape = Shape(rank, 1 + batch, a, b, channels);
        var point = new BatchNormAndInput(Random(generator, channels, config), Input(generator, shape));
        var stats = Tree.Map(RandomStats(generator, channels, 2), leaf => leaf.is_floating_point() ? leaf.to(torch.float64) : leaf);
        var weights = Normal64(generator, shape);

        AssertGradCheckPasses(q => (BatchNorm.Apply(q.Norm, stats, q.X, training).Output * weights).sum(), point);
    }

    [Property(MaxTest = 100)]
    public void Masked_gradient_passes_GradCheck_and_is_zero_at_padding(Batch batch, Dim length, Dim channels, int config, bool training, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var point = new BatchNormAndInput(Random(generator, channels, config), Input(generator, [batch, length + 1, channels]));
        // Row 0 has its first two positions real, so training has two values per channel.
        var firstTwo = Ranges.Of(batch * (length + 1), Cpu).reshape(batch, length + 1).lt(Scalars.Two);
        var mask = torch.rand([batch, length + 1], generator: generator).lt(Scalars.Half).logical_or(firstTwo);
        var stats = Tree.Map(RandomStats(generator, channels, 2), leaf => leaf.is_floating_point() ? leaf.to(torch.float64) : leaf);
        var weights = Normal64(generator, [batch, length + 1, channels]);
        torch.Tensor Loss(BatchNormAndInput q) => (BatchNorm.Apply(q.Norm, stats, new MaskedSequence(q.X, mask), training).Output.Values * weights).sum();

        AssertGradCheckPasses(Loss, point);
        var gradient = Autodiff.ValueAndGrad(Loss, Tree.Map(point, leaf => leaf.to(torch.float64))).Gradient.X;
        Assert.True(gradient.masked_select(mask.logical_not().unsqueeze(-1).expand(gradient.shape)).eq(Scalars.Zero).all().item<bool>());
    }

    [Property(MaxTest = 200)]
    public void Apply_and_ValueAndGrad_leave_inputs_unchanged_and_new_statistics_carry_no_gradient(Batch batch, Dim a, Dim b, Dim channels, int rankChoice, bool training, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Random(generator, channels, seed);
        var stats = RandomStats(generator, channels, 4);
        var x = Input(generator, Shape(Rank(rankChoice), 1 + batch, a, b, channels));
        var mask = torch.ones([x.shape[0], x.shape[1]], dtype: torch.@bool);
        var (parametersBefore, statsBefore, xBefore) = (Snapshot(p), Snapshot(stats), x.clone());

        BatchNorm.Apply(p, stats, x, training);
        if (x.dim() >= 3) BatchNorm.Apply(p, stats, new MaskedSequence(x, mask), training);
        bool? statisticsRequireGrad = null;
        var result = Autodiff.ValueAndGrad(q =>
        {
            var output = BatchNorm.Apply(q, stats, x, training);
            // Read here: ValueAndGrad disposes what the loss made.
            statisticsRequireGrad = Tree.Leaves(output.Stats).Any(leaf => leaf.requires_grad);
            return output.Output.pow(Scalars.Two).sum();
        }, p);
        AssertUnchanged(p, parametersBefore);
        AssertUnchanged(stats, statsBefore);
        Assert.True(Same.Bitwise(xBefore, x));
        Assert.False(statisticsRequireGrad);
        Assert.Equal((p.Momentum, p.Epsilon), (result.Gradient.Momentum, result.Gradient.Epsilon));
        Tree.CheckSameStructure(p, result.Gradient);
    }

    [Property(MaxTest = 100)]
    public void Init_is_PyTorchs_and_stats_are_zeros_ones_and_no_batch(Dim channels)
    {
        using var scope = torch.NewDisposeScope();
        var p = BatchNorm.Init(channels, Cpu);
        var stats = BatchNorm.InitStats(channels, Cpu);

        Assert.True(Same.Bitwise(torch.ones(channels), p.Weight));
        Assert.True(Same.Bitwise(torch.zeros(channels), p.Bias));
        Assert.Equal((0.1, 1e-5), (p.Momentum, p.Epsilon));
        Assert.Equal(["weight", "bias"], Tree.Paths(p));
        Assert.True(Same.Bitwise(torch.zeros(channels), stats.RunningMean));
        Assert.True(Same.Bitwise(torch.ones(channels), stats.RunningVar));
        Assert.True(Same.Bitwise(torch.tensor(0L), stats.BatchesTracked));
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], Tree.Paths(stats));
    }

    [Property(MaxTest = 100)]
    public void Momentum_outside_0_1_and_epsilon_not_positive_are_refused_when_the_record_is_made(double momentum, double epsilon)
    {
        using var scope = torch.NewDisposeScope();
        var valid = BatchNorm.Init(1, Cpu);
        Action make = () => _ = new BatchNormParams(valid.Weight, valid.Bias, momentum, epsilon);
        Action with = () => _ = valid with { Momentum = momentum, Epsilon = epsilon };
        if (momentum is >= 0 and <= 1 && epsilon > 0 && double.IsFinite(epsilon))
        {
            make();
            with();
            return;
        }
        var name = momentum is >= 0 and <= 1 ? "Epsilon" : "Momentum";
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(make).ParamName);
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(with).ParamName);
    }

    [Property(MaxTest = 100)]
    public void Momentum_0_keeps_the_running_statistics_and_still_counts_the_batch(Batch batch, Dim channels, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var p = Random(generator, channels, 0) with { Momentum = 0 };
        var stats = RandomStats(generator, channels, 6);

        var next = BatchNorm.Apply(p, stats, Input(generator, [1 + batch, channels]), training: true).Stats;
        Assert.True(Same.Bitwise(stats.RunningMean, next.RunningMean) && Same.Bitwise(stats.RunningVar, next.RunningVar));
        Assert.Equal(7L, next.BatchesTracked.item<long>());
    }

    [Property(MaxTest = 100)]
    public void Wrong_rank_channels_dtype_device_statistics_or_a_single_value_per_channel_is_a_LayerInputException(Batch batch, Dim channels, Dim extra, int rankChoice)
    {
        using var scope = torch.NewDisposeScope();
        var p = BatchNorm.Init(channels, Cpu);
        var stats = BatchNorm.InitStats(channels, Cpu);
        var shape = Shape(Rank(rankChoice), batch, 2, 3, channels);
        LayerInputException Refused(torch.Tensor x, BatchNormStats? s = null, bool training = true) =>
            Assert.Throws<LayerInputException>(() => BatchNorm.Apply(p, s ?? stats, x, training));

        var wide = Refused(torch.zeros(Shape(Rank(rankChoice), batch, 2, 3, channels + extra)));
        Assert.Equal("BatchNorm", wide.Layer);
        Assert.Contains($"[..., {channels}]", wide.Message);
        Assert.Contains("rank 2 or more", Refused(torch.zeros(channels)).Message);
        foreach (var dtype in new[] { torch.int64, torch.float64 })
            Assert.Contains($"{dtype}[", Refused(torch.zeros(shape, dtype: dtype)).Message);
        Assert.Contains("on meta", Refused(torch.zeros(shape, device: Meta)).Message);
        Assert.Contains($"running var of shape [{channels}]", Refused(torch.zeros(shape), stats with { RunningVar = torch.ones(channels + extra) }).Message);
        Assert.Contains("running mean of shape", Refused(torch.zeros(shape), stats with { RunningMean = torch.zeros(channels, dtype: torch.float64) }).Message);
        Assert.Contains("0-d Int64", Refused(torch.zeros(shape), stats with { BatchesTracked = torch.tensor(0) }).Message);

        // One value per channel: refused in training (as PyTorch), accepted in evaluation.
        var single = torch.zeros(Shape(Rank(rankChoice), 1, 1, 1, channels));
        var error = Refused(single);
        Assert.Contains("more than 1 value per channel when training", error.Message);
        Assert.Contains($"Float32[{string.Join(", ", single.shape)}]", error.Message);
        BatchNorm.Apply(p, stats, single, training: false);
        Assert.Contains("rank 3 or more", Assert.Throws<LayerInputException>(() =>
            BatchNorm.Apply(p, stats, new MaskedSequence(torch.zeros(batch, channels), torch.ones(batch, channels, dtype: torch.@bool)), false)).Message);
    }
}
