namespace Functional.Core;

/// <summary>
/// Everything about masks in one place: making them (from lengths, from pad ids, causal), combining them, and the
/// reductions that must ignore padding (softmax, pooling, cross-entropy, accuracy, reversal of the valid prefix).
/// </summary>
/// <remarks>
/// A mask is a Bool tensor [batch, length], <c>true</c> = real token, never null. Every function here reads values
/// only at real positions: padded positions may hold anything (even NaN or infinity) without changing a result or
/// its gradient, and gradients reaching padded positions are exactly zero. Rows without a real token give zeros, never
/// NaN, in values and gradients. All functions are pure: they return fresh tensors and neither mutate nor dispose
/// their inputs. A malformed mask is an <see cref="ArgumentException"/> naming the function.
/// </remarks>
public static partial class Masks;
