using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>An elementwise nonlinearity chosen by configuration (a record field), applied by <see cref="Activations.Apply"/>.</summary>
public enum Activation
{
    /// <summary>x.</summary>
    Identity,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>x·Φ(x) with the exact normal CDF (PyTorch's default GELU, not the tanh approximation).</summary>
    Gelu,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>x·sigmoid(x).</summary>
    Silu,
    /// <summary>log(1 + e^x) (linear above 20, as PyTorch).</summary>
    Softplus,
    /// <summary>x for x &gt; 0, e^x - 1 otherwise (α = 1).</summary>
    Elu,
    /// <summary>x for x &gt; 0, 0.01·x otherwise.</summary>
    LeakyRelu,
}

/// <summary>
/// Elementwise activations and the softmax family, as pure functions: each takes a floating-point tensor, returns a
/// fresh one of the same shape and dtype, and neither mutates nor disposes its input. Each agrees with PyTorch's
/// function of the same name with default arguments.
/// </summary>
/// <remarks>A non-floating-point input is an <see cref="ArgumentException"/> (checked before any native call).</remarks>
public static class Activations
{
    /// <summary>The activation <paramref name="activation"/> names; <see cref="Activation.LeakyRelu"/> uses slope 0.01.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="activation"/> is not a defined value.</exception>
    public static Tensor Apply(Activation activation, Tensor x) => activation switch
    {
        Activation.Identity => Identity(x),
        Activation.Relu => Relu(x),
        Activation.Gelu => Gelu(x),
        Activation.Tanh => Tanh(x),
        Activation.Sigmoid => Sigmoid(x),
        Activation.Silu => Silu(x),
        Activation.Softplus => Softplus(x),
        Activation.Elu => Elu(x),
        Activation.LeakyRelu => LeakyRelu(x, 0.01),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, $"Unknown activation {activation}."),
    };

    /// <summary>x itself, as <c>x.alias()</c> (a new reference to the same storage).</summary>
    public static Tensor Identity(Tensor x) => Floating(x).alias();

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => nn.functional.relu(Floating(x));

    /// <summary>x·Φ(x), Φ the standard normal CDF (exact, via erf).</summary>
    public static Tensor Gelu(Tensor x) => nn.functional.gelu(Floating(x));

    /// <summary>tanh(x).</summary>
    public static Tensor Tanh(Tensor x) => Floating(x).tanh();

    /// <summary>1 / (1 + e^-x).</summary>
    public static Tensor Sigmoid(Tensor x) => Floating(x).sigmoid();

    /// <summary>x·sigmoid(x) (also called swish).</summary>
    public static Tensor Silu(Tensor x) => nn.functional.silu(Floating(x));

    /// <summary>log(1 + e^x), computed as x where x &gt; 20 (PyTorch's threshold) to avoid overflow.</summary>
    /// <remarks>
    /// Written out (where x &gt; 20: x, else log1p(exp(x))) because TorchSharp's softplus makes its beta and threshold
    /// Scalars internally and lets them die during the native call (see <see cref="Scalars"/>). The exponent is taken
    /// of min(x, 20), so that the branch not taken stays finite and its zero gradient does not become NaN.
    /// </remarks>
    public static Tensor Softplus(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = Floating(x);
        var below = input.clamp_max(SoftplusThreshold).exp().log1p();
        return where(input.gt(SoftplusThreshold), input, below).MoveToOuterDisposeScope();
    }

    static readonly Scalar SoftplusThreshold = 20L.ToScalar();

    /// <summary>x for x &gt; 0, e^x - 1 otherwise.</summary>
    public static Tensor Elu(Tensor x) => Floating(x).elu(Scalars.One, Scalars.One, Scalars.One);

    /// <summary>x for x &gt; 0, <paramref name="slope"/>·x otherwise.</summary>
    public static Tensor LeakyRelu(Tensor x, double slope)
    {
        using var negativeSlope = slope.ToScalar();
        return Floating(x).leaky_relu(negativeSlope);
    }

    /// <summary>
    /// e^x / Σ e^x along <paramref name="dimension"/> (negative counts from the end): each slice is positive and
    /// sums to 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is not a dimension of x.</exception>
    public static Tensor Softmax(Tensor x, int dimension) => Floating(x).softmax(Dimension(x, dimension));

    /// <summary>log(softmax(x)) along <paramref name="dimension"/>, computed stably (not as the log of softmax).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is not a dimension of x.</exception>
    public static Tensor LogSoftmax(Tensor x, int dimension) => Floating(x).log_softmax(Dimension(x, dimension));

    static Tensor Floating(Tensor x) =>
        x.is_floating_point() ? x : throw new ArgumentException($"Activations need a floating-point input, got {Shapes.Describe(x)}.", nameof(x));

    static long Dimension(Tensor x, int dimension)
    {
        var rank = Math.Max(x.dim(), 1); // PyTorch treats a 0-d tensor as having one dimension here.
        return dimension >= -rank && dimension < rank
            ? dimension
            : throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"Dimension {dimension} is out of range for {Shapes.Describe(x)}.");
    }
}
