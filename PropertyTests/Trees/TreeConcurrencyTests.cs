using Functional.Core;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Trees;

/// <summary>A generic record, so that every test round can make tree types no thread has seen yet.</summary>
public sealed record Layered<T>(torch.Tensor Weight, T Inner, IReadOnlyList<T> More);

public sealed class TreeConcurrencyTests
{
    /// <summary>
    /// Two threads meeting a new record type at once: the second must never see the first one's half-built node
    /// ("record node used before it was built"). Each round builds a fresh nested generic type.
    /// </summary>
    [Fact]
    public void Threads_that_meet_a_new_record_type_at_the_same_time_both_see_a_complete_tree()
    {
        using var scope = torch.NewDisposeScope();
        var tensor = torch.ones(1);
        var markers = new[] { typeof(int), typeof(long), typeof(short), typeof(byte), typeof(uint), typeof(ulong), typeof(ushort), typeof(sbyte), typeof(char), typeof(bool) };
        for (var round = 0; round < 300; round++)
        {
            // Layered<Layered<...<marker>>> nested to a depth that differs per round: a type no earlier round built.
            var type = markers[round % markers.Length];
            var value = Activator.CreateInstance(type)!;
            for (var depth = 0; depth < 2 + round / markers.Length; depth++)
            {
                var layered = typeof(Layered<>).MakeGenericType(type);
                var list = Array.CreateInstance(type, 0);
                value = Activator.CreateInstance(layered, tensor, value, list)!;
                type = layered;
            }
            using var barrier = new Barrier(2);
            var counts = new int[2];
            Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                barrier.SignalAndWait();
                counts[i] = Tree.LeafCount(value);
            });
            Assert.Equal(counts[0], counts[1]);
        }
    }
}
