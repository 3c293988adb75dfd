using static TorchSharp.torch;

namespace Functional.Core;

// Masks: the loss and the metric over real tokens (cross-entropy, accuracy).
public static partial class Masks
{
    /// <summary>
    /// The mean over real tokens of the cross-entropy of <paramref name="logits"/> [batch, length, classes] against
    /// <paramref name="targets"/> [batch, length] (Int64 or Int32 class indices); a scalar. Targets at padded positions
    /// are ignored (they may be out of range); with no real token at all the loss is 0 with zero gradient. Only the real
    /// positions' logits are normalised (see <see cref="RealRows"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not fit, or a real target is out of range.</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Tensor mask)
    {
        CheckClassification(nameof(CrossEntropy), logits, targets, mask);
        using var scope = NewDisposeScope();
        var positions = RealPositions(mask);
        var realLogits = Flatten(logits).index_select(0, positions);
        var realTargets = targets.reshape(-1).index_select(0, positions).to(ScalarType.Int64);
        var picked = realLogits.log_softmax(-1).gather(1, realTargets.unsqueeze(1));
        var count = mask.sum().to(logits.dtype).clamp_min(Scalars.One);
        return (picked.sum().neg() / count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The fraction of real tokens whose arg-max logit is the target (a scalar in the logits' dtype, no gradient);
    /// 0 when there is no real token. Shapes as <see cref="CrossEntropy"/>; only the real positions are read.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices do not fit, or a real target is out of range.</exception>
    public static Tensor Accuracy(Tensor logits, Tensor targets, Tensor mask)
    {
        CheckClassification(nameof(Accuracy), logits, targets, mask);
        using var scope = NewDisposeScope();
        using var noGradient = no_grad();
        var positions = RealPositions(mask);
        var predicted = Flatten(logits).index_select(0, positions).argmax(-1);
        var correct = predicted.eq(targets.reshape(-1).index_select(0, positions).to(ScalarType.Int64));
        var count = mask.sum().to(logits.dtype).clamp_min(Scalars.One);
        return (correct.sum().to(logits.dtype) / count).MoveToOuterDisposeScope();
    }
}
