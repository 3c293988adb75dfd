using static TorchSharp.torch;

namespace Functional.Core;

// BatchNorm over masked sequences: statistics over the real positions only.
public static partial class BatchNorm
{
    /// <summary>
    /// Normalises the masked sequence <paramref name="x"/> (values [batch, length, ..., channels]) as
    /// <see cref="Apply(BatchNormParams, BatchNormStats, Tensor, bool)"/> on its real positions only, and returns it
    /// with the same mask (a fresh alias).
    /// </summary>
    /// <remarks>
    /// <para>The real positions are gathered (<see cref="Masks.RealRows"/>), normalised as a batch of their own and
    /// placed back, so a real output and the new statistics are exactly those of batch normalisation over the real
    /// positions: padded values, whatever they hold, change nothing, and receive exactly zero gradient. Padded outputs
    /// are zeros, also in a row without a real token. Training needs more than one real value per channel.</para>
    /// <para>Checked before any native call: the mask as <see cref="MaskChecks.Matches"/>, values of rank 3 or more,
    /// then as the unmasked Apply; a violation is a <see cref="LayerInputException"/>. Finding the real positions
    /// reads the mask back to the host. Pure.</para>
    /// </remarks>
    public static MaskedBatchNormOutput Apply(BatchNormParams parameters, BatchNormStats stats, MaskedSequence x, bool training)
    {
        var (values, mask) = (x.Values, x.Mask);
        MaskChecks.Matches(Layer, parameters, values, mask);
        InputChecks.MinimumRank(Layer, parameters, values, 3, "[batch, length, ..., channels]");
        Check(parameters, stats, values);
        using var scope = NewDisposeScope();
        var rows = Masks.RealRows(values, mask);
        if (training) CheckValuesPerChannel(parameters, values, rows.numel() / parameters.Weight.shape[0]);
        var (normalised, next) = Normalise(parameters, stats, rows, training);
        var result = new MaskedBatchNormOutput(new MaskedSequence(Masks.PlaceRealRows(normalised, mask), mask.alias()), next);
        scope.MoveToOuter(result.Output.Values, result.Output.Mask, next.RunningMean, next.RunningVar, next.BatchesTracked);
        return result;
    }
}
