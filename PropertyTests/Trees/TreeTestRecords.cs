using System.Collections.Immutable;
using TorchSharp;

namespace Functional.PropertyTests.Trees;

// Parameter records of every shape the tree mechanism promises to walk: nested records, lists of records
// (array, List, IReadOnlyList, ImmutableArray), optional tensors, configuration fields and a field declared as
// object (resolved by runtime type).

public sealed record Cell(torch.Tensor Weight, torch.Tensor? Bias, int Width);

public sealed record Block(Cell First, IReadOnlyList<Cell> Cells, torch.Tensor[] Extras, string Name);

public sealed record Net(Block Encoder, List<Block> Layers, ImmutableArray<Cell> Heads, torch.Tensor? Scale, object Anything, double Rate);

/// <summary>Builds random instances of <see cref="Net"/> from a seed: random list lengths, shapes and absent optionals.</summary>
public static class RandomTrees
{
    public static Net Net(int seed)
    {
        var random = new Random(seed);
        return new Net(
            Block(random, "encoder"),
            Enumerable.Range(0, random.Next(0, 4)).Select(i => Block(random, $"layer{i}")).ToList(),
            [.. Enumerable.Range(0, random.Next(0, 3)).Select(_ => Cell(random))],
            random.Next(2) == 0 ? null : Tensor(random),
            random.Next(3) switch { 0 => Cell(random), 1 => Block(random, "inner"), _ => "just configuration" },
            random.NextDouble());
    }

    static Block Block(Random random, string name) =>
        new(Cell(random),
            Enumerable.Range(0, random.Next(0, 4)).Select(_ => Cell(random)).ToArray(),
            Enumerable.Range(0, random.Next(0, 3)).Select(_ => Tensor(random)).ToArray(),
            name);

    static Cell Cell(Random random) => new(Tensor(random), random.Next(2) == 0 ? null : Tensor(random), random.Next(1, 100));

    static torch.Tensor Tensor(Random random) =>
        torch.randn(Enumerable.Range(0, random.Next(0, 3)).Select(_ => (long)random.Next(1, 4)).ToArray());
}
