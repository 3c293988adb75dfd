namespace Functional.Core;

/// <summary>
/// The window of a 2-D pooling (<see cref="Pooling2d"/>): square kernel, stride and padding, configuration checked when
/// the record is made. Pooling has no parameters, so this record is all it takes.
/// </summary>
/// <param name="Kernel">The side of the square window, at least 1.</param>
/// <param name="Stride">The step between windows along both axes, at least 1 (PyTorch's default is the kernel: <see cref="Of"/>).</param>
/// <param name="Padding">Added at each side of both axes, at least 0; pooling also needs at most kernel / 2 (PyTorch's
/// bound), which <see cref="Pooling2d"/> checks when applied, since <c>with</c> may set kernel and padding in any order.</param>
/// <exception cref="ArgumentOutOfRangeException">A value below its minimum (also through <c>with</c>).</exception>
public sealed record Pool2dWindow(int Kernel, int Stride, int Padding)
{
    const string Record = "Pool2dWindow";

    readonly int kernel = LayerSettings.AtLeast(Record, nameof(Kernel), Kernel, 1);

    /// <summary>The side of the square window, at least 1.</summary>
    public int Kernel { get => kernel; init => kernel = LayerSettings.AtLeast(Record, nameof(Kernel), value, 1); }

    /// <summary>Stride and padding (dilation 1) as one record, the same one a convolution keeps.</summary>
    public WindowSettings Window { get; private init; } = new(Record, Stride, Padding, 1);

    /// <summary>The step between windows along both axes, at least 1.</summary>
    public int Stride { get => Window.Stride; init => Window = Window with { Stride = value }; }

    /// <summary>Added at each side of both axes, at least 0 (and at most kernel / 2 when applied).</summary>
    public int Padding { get => Window.Padding; init => Window = Window with { Padding = value }; }

    /// <summary>A window of <paramref name="kernel"/>² with stride <paramref name="kernel"/> (non-overlapping, PyTorch's default) and no padding.</summary>
    public static Pool2dWindow Of(int kernel) => new(kernel, kernel, 0);

    /// <summary>The output size along an axis of <paramref name="size"/>: ⌊(size + 2·padding - kernel) / stride⌋ + 1.</summary>
    public long OutputSize(long size) => Window.OutputSize(size, Kernel);
}
