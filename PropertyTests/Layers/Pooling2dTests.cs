using FsCheck;
using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

[Properties(Arbitrary = new[] { typeof(SmallSizes) })]
public sealed class Pooling2dTests
{
    /// <summary>A window of side <paramref name="kernel"/>, stride 1..3 and padding 0..kernel/2 chosen from <paramref name="config"/>.</summary>
    static Pool2dWindow Window(int kernel, int config) =>
        new(kernel, 1 + (config & 0xff) % 3, (config >> 8 & 0xff) % (kernel / 2 + 1));

    static long Minimum(Pool2dWindow w) => Math.Max(1, w.Kernel - 2L * w.Padding);

    [Property(MaxTest = 300)]
    public void Max_agrees_with_max_pool2d_on_the_channels_first_permutation(Batch batch, Dim channels, Dim kernel, Dim extraHeight, Dim extraWidth, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var window = Window(kernel, config);
        var x = Normal(Rng(seed), batch, Minimum(window) + extraHeight - 1, Minimum(window) + extraWidth - 1, channels);

        var y = Pooling2d.Max(window, x);
        var expected = torch.nn.functional.max_pool2d(x.permute(0, 3, 1, 2), [window.Kernel, window.Kernel], [window.Stride, window.Stride], [window.Padding, window.Padding]);
        Assert.Equal(new long[] { batch, window.OutputSize(x.shape[1]), window.OutputSize(x.shape[2]), channels }, y.shape);
        Assert.True(Same.Bitwise(expected.permute(0, 2, 3, 1), y));
    }

    [Property(MaxTest = 300)]
    public void Average_agrees_with_avg_pool2d_on_the_channels_first_permutation(Batch batch, Dim channels, Dim kernel, Dim extraHeight, Dim extraWidth, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var window = Window(kernel, config);
        var x = Normal(Rng(seed), batch, Minimum(window) + extraHeight - 1, Minimum(window) + extraWidth - 1, channels);

        var y = Pooling2d.Average(window, x);
        var expected = torch.nn.functional.avg_pool2d(x.permute(0, 3, 1, 2).contiguous(), [window.Kernel, window.Kernel], [window.Stride, window.Stride], [window.Padding, window.Padding]);
        Assert.Equal(new long[] { batch, window.OutputSize(x.shape[1]), window.OutputSize(x.shape[2]), channels }, y.shape);
        AssertClose(expected.permute(0, 2, 3, 1), y, atol: 1e-6);
    }

    [Property(MaxTest = 100)]
    public void Gradients_pass_GradCheck(Batch batch, Dim channels, Dim kernel, Dim extra, int config, bool max, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(seed);
        var window = Window(kernel, config);
        // Distinct values (a shuffled range), so the maximum of a window is unique and finite differences see one slope.
        var shape = new long[] { batch, Minimum(window) + extra, Minimum(window) + 1, channels };
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var x = torch.randperm(count, generator: generator).to(torch.float64).reshape(shape);
        Func<Pool2dWindow, torch.Tensor, torch.Tensor> pool = max ? Pooling2d.Max : Pooling2d.Average;
        var weights = Normal64(generator, pool(window, x).shape);

        AssertGradCheckPasses(input => (pool(window, input.X) * weights).sum(), new PooledInput(x));
    }

    [Property(MaxTest = 200)]
    public void Pooling_leaves_its_input_unchanged(Batch batch, Dim channels, Dim kernel, int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var window = Window(kernel, config);
        var x = Normal(Rng(seed), batch, Minimum(window) + 2, Minimum(window) + 1, channels);
        var before = x.clone();

        Pooling2d.Max(window, x);
        Pooling2d.Average(window, x);
        Assert.True(Same.Bitwise(before, x));
    }

    [Property(MaxTest = 100)]
    public void Window_values_out_of_range_are_refused(int kernel, int stride, int padding)
    {
        Action make = () => _ = new Pool2dWindow(kernel, stride, padding);
        if (kernel >= 1 && stride >= 1 && padding >= 0)
        {
            make();
            return;
        }
        var name = kernel < 1 ? "Kernel" : stride < 1 ? "Stride" : "Padding";
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(make).ParamName);
    }

    [Property(MaxTest = 100)]
    public void Padding_above_half_the_kernel_is_refused_when_applied(Dim kernel, Dim above)
    {
        using var scope = torch.NewDisposeScope();
        var window = Pool2dWindow.Of(kernel) with { Padding = kernel / 2 + above };
        var x = torch.zeros(1, kernel, kernel, 1);
        Assert.Contains($"got padding {window.Padding} with kernel {(int)kernel}", Assert.Throws<ArgumentOutOfRangeException>(() => Pooling2d.Max(window, x)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pooling2d.Average(window, x));
        Pooling2d.Max(window with { Padding = kernel / 2 }, x);
    }

    [Property(MaxTest = 100)]
    public void Wrong_rank_dtype_or_too_small_an_image_is_a_LayerInputException(Batch batch, Dim channels, Dim kernel, Dim shortBy, int config)
    {
        using var scope = torch.NewDisposeScope();
        var window = Window(kernel, config);
        var size = Minimum(window);
        foreach (var (name, pool) in new (string, Func<Pool2dWindow, torch.Tensor, torch.Tensor>)[] { ("MaxPool2d", Pooling2d.Max), ("AvgPool2d", Pooling2d.Average) })
        {
            var rank = Assert.Throws<LayerInputException>(() => pool(window, torch.zeros(batch, size, channels)));
            Assert.Equal(name, rank.Layer);
            Assert.Contains("rank 4", rank.Message);
            Assert.Contains("floating-point", Assert.Throws<LayerInputException>(() => pool(window, torch.zeros([batch, size, size, channels], dtype: torch.int64))).Message);
            var small = Assert.Throws<LayerInputException>(() => pool(window, torch.zeros(batch, size, Math.Max(0, size - shortBy), channels)));
            Assert.Contains($"height >= {size}, width >= {size}", small.Message);
            pool(window, torch.zeros(batch, size, size, channels));
        }
    }
}

/// <summary>An input as a tree, so GradCheck checks the gradient with respect to it.</summary>
public sealed record PooledInput(torch.Tensor X);
