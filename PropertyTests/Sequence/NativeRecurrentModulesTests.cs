using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Sequence;

/// <summary>
/// The fused recurrent path's pool of native modules is bounded (at most <see cref="NativeRecurrentModules.Capacity"/>
/// idle modules, the least recently used freed) and releasable, and releasing it never changes a result. Runs alone:
/// another test's recurrent layers would return modules to the same pool.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public sealed class NativeRecurrentModulesTests
{
    static torch.Tensor Run(bool lstm, int hidden)
    {
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        using var generator = new torch.Generator((ulong)hidden);
        var values = torch.randn([3, 5, 4], generator: generator);
        var mask = Masks.FromLengths(torch.tensor(new long[] { 5, 3, 1 }), 5);
        var output = lstm
            ? Lstm.Apply(Lstm.Init(generator, 4, hidden, 1, true, torch.CPU), values, mask).Output
            : Gru.Apply(Gru.Init(generator, 4, hidden, 1, true, torch.CPU), values, mask).Output;
        return output.Values.clone().MoveToOuterDisposeScope();
    }

    [Fact]
    public void The_pool_never_holds_more_than_its_capacity_and_frees_what_it_drops()
    {
        NativeRecurrentModules.Release();
        Assert.Equal(0, NativeRecurrentModules.Count);
        var before = NativeRecurrentModules.Released;
        const int shapes = NativeRecurrentModules.Capacity + 6;
        var first = Run(true, 61);
        for (var i = 0; i < shapes; i++)
        {
            Run(i % 2 == 0, 61 + i).Dispose();
            Assert.InRange(NativeRecurrentModules.Count, 1, NativeRecurrentModules.Capacity);
        }
        // Every shape was new, and the pool kept only Capacity of them: the others were freed.
        Assert.Equal(NativeRecurrentModules.Capacity, NativeRecurrentModules.Count);
        Assert.True(NativeRecurrentModules.Released - before >= shapes - NativeRecurrentModules.Capacity,
            $"{NativeRecurrentModules.Released - before} modules freed for {shapes} shapes and a capacity of {NativeRecurrentModules.Capacity}");

        var held = NativeRecurrentModules.Count;
        var released = NativeRecurrentModules.Released;
        NativeRecurrentModules.Release();
        Assert.Equal(0, NativeRecurrentModules.Count);
        Assert.Equal(released + held, NativeRecurrentModules.Released);

        // A released pool only costs a construction: the same call gives the same values.
        using var again = Run(true, 61);
        Assert.True(Same.Bitwise(first, again), "the output changed after the pool was released");
        Assert.Equal(1, NativeRecurrentModules.Count);
        first.Dispose();
    }
}
