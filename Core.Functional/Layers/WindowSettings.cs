namespace Functional.Core;

/// <summary>
/// How a sliding window moves over the spatial axes of a convolution or a pooling: stride, padding and dilation, one
/// value for every axis. It is configuration, not a parameter (no tensor), checked when the record is made or changed
/// with <c>with</c>; the messages name the layer it belongs to. <see cref="Conv1dParams"/>, <see cref="Conv2dParams"/>
/// and <see cref="Pool2dWindow"/> keep theirs in a <c>Window</c> property and expose its values as their own
/// <c>Stride</c>, <c>Padding</c> (and <c>Dilation</c>) properties.
/// </summary>
/// <exception cref="ArgumentOutOfRangeException">Stride or dilation below 1, or padding below 0 (also through <c>with</c>); checked in that order.</exception>
public sealed record WindowSettings
{
    readonly int stride;
    readonly int padding;
    readonly int dilation;

    /// <summary>The settings of the layer named <paramref name="layer"/> (in messages: "Conv2d Stride must be at least 1, got 0.").</summary>
    /// <exception cref="ArgumentOutOfRangeException">Stride or dilation below 1, or padding below 0.</exception>
    public WindowSettings(string layer, int stride, int padding, int dilation)
    {
        Layer = layer;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
    }

    /// <summary>The layer the window belongs to, as its messages name it.</summary>
    public string Layer { get; }

    /// <summary>The step between windows along each axis, at least 1.</summary>
    public int Stride { get => stride; init => stride = LayerSettings.AtLeast(Layer, nameof(Stride), value, 1); }

    /// <summary>Added at each side of each axis (zeros for a convolution), at least 0.</summary>
    public int Padding { get => padding; init => padding = LayerSettings.AtLeast(Layer, nameof(Padding), value, 0); }

    /// <summary>The spacing between kernel taps along each axis, at least 1 (1 for pooling).</summary>
    public int Dilation { get => dilation; init => dilation = LayerSettings.AtLeast(Layer, nameof(Dilation), value, 1); }

    /// <summary>The extent of a kernel of <paramref name="kernel"/> taps along an axis: dilation·(kernel - 1) + 1.</summary>
    public long Span(long kernel) => Dilation * (kernel - 1) + 1;

    /// <summary>The smallest input size along an axis that holds one window: max(1, span - 2·padding).</summary>
    public long MinimumSize(long kernel) => Math.Max(1, Span(kernel) - 2L * Padding);

    /// <summary>The output size along an axis of <paramref name="size"/>: ⌊(size + 2·padding - span) / stride⌋ + 1.</summary>
    public long OutputSize(long size, long kernel) => (size + 2L * Padding - Span(kernel)) / Stride + 1;
}
