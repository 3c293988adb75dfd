using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// The parameters of a batch normalisation over the last (channel) dimension. Momentum and epsilon are
/// configuration (change them with <c>with</c>), checked when the record is made; the running statistics are model
/// state, a separate <see cref="BatchNormStats"/>.
/// </summary>
/// <param name="Weight">[channels], the per-channel scale (γ).</param>
/// <param name="Bias">[channels], the per-channel shift (β).</param>
/// <param name="Momentum">The weight of a training batch in the running statistics, in [0, 1] (PyTorch's default 0.1).</param>
/// <param name="Epsilon">Added to the variance before the square root, positive and finite (PyTorch's default 1e-5).</param>
/// <exception cref="ArgumentOutOfRangeException">Momentum outside [0, 1], or epsilon not positive and finite (also through <c>with</c>).</exception>
public sealed record BatchNormParams(Tensor Weight, Tensor Bias, double Momentum, double Epsilon)
{
    readonly double momentum = CheckMomentum(Momentum);
    readonly double epsilon = CheckEpsilon(Epsilon);

    /// <summary>The weight of a training batch in the running statistics, in [0, 1].</summary>
    public double Momentum { get => momentum; init => momentum = CheckMomentum(value); }

    /// <summary>Added to the variance before the square root, positive and finite.</summary>
    public double Epsilon { get => epsilon; init => epsilon = CheckEpsilon(value); }

    static double CheckMomentum(double value) =>
        value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Momentum), value, $"BatchNorm Momentum must be in [0, 1], got {value}.");

    static double CheckEpsilon(double value) =>
        value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Epsilon), value, $"BatchNorm Epsilon must be positive and finite, got {value}.");
}

/// <summary>
/// Batch normalisation of channels-last inputs ([batch, features], [batch, length, channels],
/// [batch, height, width, channels], ...): each channel is normalised with statistics over every dimension but the
/// last, then scaled and shifted. Pure: the running statistics go in and come out as values.
/// </summary>
/// <remarks>
/// Computed by libtorch's fused <c>batch_norm</c> on the input viewed as [values, channels] (a view when the input is
/// contiguous, which libtorch's CPU kernel reads as channels-last), so it agrees with PyTorch's <c>nn.BatchNorm1d</c>/
/// <c>nn.BatchNorm2d</c> on the channels-first transpose and has its fused backward. That kernel updates the running
/// buffers in place, so it is only ever given fresh clones, which become the returned statistics.
/// </remarks>
public static partial class BatchNorm
{
    const string Layer = nameof(BatchNorm);

    /// <summary>
    /// A normalisation of <paramref name="channels"/> channels as PyTorch's <c>nn.BatchNorm*d</c>: weight ones,
    /// bias zeros, momentum 0.1, epsilon 1e-5, float32 on <paramref name="device"/>. The initial values are constants,
    /// so no generator is taken.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is below 1.</exception>
    public static BatchNormParams Init(int channels, Device device)
    {
        Initializers.Positive(channels, nameof(channels));
        return new(ones(channels, dtype: float32, device: device), zeros(channels, dtype: float32, device: device), 0.1, 1e-5);
    }

    /// <summary>
    /// Fresh statistics as PyTorch's: running mean zeros and running variance ones (float32 [channels]), no batch
    /// tracked (a 0-d Int64 zero), on <paramref name="device"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is below 1.</exception>
    public static BatchNormStats InitStats(int channels, Device device)
    {
        Initializers.Positive(channels, nameof(channels));
        return new(zeros(channels, dtype: float32, device: device), ones(channels, dtype: float32, device: device),
            zeros([], dtype: int64, device: device));
    }

    /// <summary>
    /// Normalises <paramref name="x"/> [batch, ..., channels] per channel over every dimension but the last:
    /// <c>(x - mean) / √(var + ε) · weight + bias</c>, giving the same shape.
    /// </summary>
    /// <remarks>
    /// <para><b>Training</b>: mean and var are the batch's (biased variance), and the returned statistics are fresh
    /// tensors, computed without gradient: running mean ← (1 - momentum)·mean₀ + momentum·batch mean, running var ←
    /// (1 - momentum)·var₀ + momentum·(unbiased batch variance), batches tracked + 1. <b>Evaluation</b>: mean and var
    /// are the running statistics, nothing is read from the batch's statistics (an element's output depends only on
    /// that element), and the returned statistics are fresh aliases of the given ones. Gradients reach
    /// <paramref name="x"/>, the weight and the bias in both modes.</para>
    /// <para>Checked before any native call: rank 2 or more, dtype and device equal to the weight's, last dimension
    /// equal to channels, statistics of shape [channels] (and a 0-d Int64 count) on the weight's dtype and device, and
    /// in training more than one value per channel; a violation is a <see cref="LayerInputException"/>. Pure: neither
    /// mutates nor disposes <paramref name="x"/>, <paramref name="parameters"/> or <paramref name="stats"/>.</para>
    /// </remarks>
    public static BatchNormOutput Apply(BatchNormParams parameters, BatchNormStats stats, Tensor x, bool training)
    {
        InputChecks.MinimumRank(Layer, parameters, x, 2, "[batch, ..., channels]");
        Check(parameters, stats, x);
        var channels = parameters.Weight.shape[0];
        if (training) CheckValuesPerChannel(parameters, x, x.numel() / channels);
        return Normalise(parameters, stats, x, training);
    }

    /// <summary>Apply without the checks: x is [..., channels] and valid.</summary>
    static BatchNormOutput Normalise(BatchNormParams parameters, BatchNormStats stats, Tensor x, bool training)
    {
        using var scope = NewDisposeScope();
        var channels = parameters.Weight.shape[0];
        var flat = x.reshape(-1, channels);
        BatchNormStats next;
        Tensor normalised;
        if (training)
        {
            using (no_grad())
                next = new BatchNormStats(stats.RunningMean.detach().clone(), stats.RunningVar.detach().clone(), stats.BatchesTracked.add(Scalars.One, Scalars.One));
            normalised = nn.functional.batch_norm(flat, next.RunningMean, next.RunningVar, parameters.Weight, parameters.Bias,
                training: true, parameters.Momentum, parameters.Epsilon);
        }
        else
        {
            // In evaluation libtorch reads the running buffers and never writes them.
            normalised = nn.functional.batch_norm(flat, stats.RunningMean, stats.RunningVar, parameters.Weight, parameters.Bias,
                training: false, parameters.Momentum, parameters.Epsilon);
            next = new BatchNormStats(stats.RunningMean.alias(), stats.RunningVar.alias(), stats.BatchesTracked.alias());
        }
        var output = new BatchNormOutput(normalised.reshape(x.shape), next);
        scope.MoveToOuter(output.Output, next.RunningMean, next.RunningVar, next.BatchesTracked);
        return output;
    }

    static void Check(BatchNormParams parameters, BatchNormStats stats, Tensor x)
    {
        var weight = parameters.Weight;
        var channels = weight.shape[0];
        InputChecks.SameDtypeAndDevice(Layer, parameters, x, weight);
        InputChecks.LastDimension(Layer, parameters, x, channels);
        foreach (var (name, statistic) in new[] { ("running mean", stats.RunningMean), ("running var", stats.RunningVar) })
        {
            if (statistic.dim() != 1 || statistic.shape[0] != channels || statistic.dtype != weight.dtype || !SameDevice(statistic, weight))
                throw new LayerInputException(Layer, parameters, $"{name} of shape [{channels}], dtype {weight.dtype}, on {weight.device}", Shapes.Describe(statistic));
        }
        var tracked = stats.BatchesTracked;
        if (tracked.dim() != 0 || tracked.dtype != ScalarType.Int64 || !SameDevice(tracked, weight))
            throw new LayerInputException(Layer, parameters, $"batches tracked as a 0-d Int64 tensor on {weight.device}", Shapes.Describe(tracked));
    }

    static void CheckValuesPerChannel(BatchNormParams parameters, Tensor x, long valuesPerChannel)
    {
        if (valuesPerChannel <= 1)
            throw new LayerInputException(Layer, parameters,
                $"more than 1 value per channel when training (statistics over every dimension but the last), {valuesPerChannel} given",
                Shapes.Describe(x));
    }

    static bool SameDevice(Tensor a, Tensor b) => a.device.type == b.device.type && a.device.index == b.device.index;
}
