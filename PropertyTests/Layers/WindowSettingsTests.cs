using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Layers;

/// <summary>
/// The one record of window settings: its sizes are what the convolutions and pooling really produce and accept, and
/// the layers' own Stride/Padding/Dilation are views of it, set through it by <c>with</c>.
/// </summary>
public sealed class WindowSettingsTests
{
    [Property(MaxTest = 200)]
    public void Output_and_minimum_sizes_are_those_of_conv1d_and_the_layer_accepts_exactly_from_the_minimum(int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var kernel = 1 + random.Next(4);
        var parameters = Conv1d.Init(Rng(seed), 2, 3, kernel, Cpu) with
        {
            Stride = 1 + (config & 0xff) % 3,
            Padding = (config >> 8 & 0xff) % 3,
            Dilation = 1 + (config >> 16 & 0xff) % 3,
        };
        var window = parameters.Window;
        Assert.Equal((parameters.Stride, parameters.Padding, parameters.Dilation), (window.Stride, window.Padding, window.Dilation));
        var minimum = window.MinimumSize(kernel);
        var length = minimum + random.Next(6);
        using var x = torch.randn([2, length, 2]);
        using var y = Conv1d.Apply(parameters, x);
        Assert.Equal(window.OutputSize(length, kernel), y.shape[1]);
        if (minimum > 1)
        {
            using var tooShort = torch.randn([2, minimum - 1, 2]);
            Assert.Throws<LayerInputException>(() => Conv1d.Apply(parameters, tooShort));
        }
    }

    [Property(MaxTest = 100)]
    public void Pooling_sizes_are_its_window_settings_with_dilation_one(int config, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var kernel = 1 + (config & 0xff) % 4;
        var pool = new Pool2dWindow(kernel, 1 + (config >> 8 & 0xff) % 3, (config >> 16 & 0xff) % (kernel / 2 + 1));
        Assert.Equal(new WindowSettings("Pool2dWindow", pool.Stride, pool.Padding, 1), pool.Window);
        var size = pool.Window.MinimumSize(kernel) + new Random(seed).Next(5);
        using var x = torch.randn([1, size, size, 2]);
        using var y = Pooling2d.Max(pool, x);
        Assert.Equal(new[] { 1, pool.OutputSize(size), pool.OutputSize(size), 2 }, y.shape);
    }

    [Fact]
    public void With_on_a_layer_record_changes_its_window_and_equality_follows_it()
    {
        using var scope = torch.NewDisposeScope();
        var conv = Conv2d.Init(Rng(1), 2, 2, 3, Cpu);
        var strided = conv with { Stride = 2 };
        Assert.Equal(new WindowSettings("Conv2d", 2, 0, 1), strided.Window);
        Assert.Equal(new WindowSettings("Conv2d", 1, 0, 1), conv.Window);
        Assert.NotEqual(conv, strided);
        Assert.Equal(conv, strided with { Stride = 1 });
        Assert.Equal("Conv2d Dilation must be at least 1, got 0. (Parameter 'Dilation')" + Environment.NewLine + "Actual value was 0.",
            Assert.Throws<ArgumentOutOfRangeException>(() => conv with { Dilation = 0 }).Message);
        Assert.Equal("Stride", Assert.Throws<ArgumentOutOfRangeException>(() => conv.Window with { Stride = 0 }).ParamName);
    }
}
