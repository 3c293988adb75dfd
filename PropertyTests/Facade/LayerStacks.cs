using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Functional.Core;

namespace Functional.PropertyTests.Facade;

/// <summary>The layers a random stack is made of.</summary>
public enum LayerKind { Linear, Activation, Dropout, LayerNorm, FeedForward, Residual, Then }

/// <summary>
/// One layer of a random stack, as the builder call that adds it: <c>Linear(A)</c>, <c>Activation(Activation)</c>,
/// <c>Dropout(Rate)</c>, <c>LayerNorm()</c>, <c>FeedForward(A, B, Activation)</c>, <c>Residual(block)</c> or
/// <c>Then(stack)</c>, where a residual block or a reused stack holds its <see cref="Inner"/> layers. Fields a kind
/// does not use are 0 and <see cref="Activation.Identity"/>.
/// </summary>
public sealed record LayerSpec(LayerKind Kind, int A, int B, double Rate, Activation Activation, IReadOnlyList<LayerSpec> Inner)
{
    public static LayerSpec Linear(int outputs) => new(LayerKind.Linear, outputs, 0, 0, Activation.Identity, []);
    public static LayerSpec Activate(Activation activation) => new(LayerKind.Activation, 0, 0, 0, activation, []);
    public static LayerSpec Dropout(double rate) => new(LayerKind.Dropout, 0, 0, rate, Activation.Identity, []);
    public static LayerSpec LayerNorm() => new(LayerKind.LayerNorm, 0, 0, 0, Activation.Identity, []);
    public static LayerSpec FeedForward(int hidden, int outputs, Activation activation) => new(LayerKind.FeedForward, hidden, outputs, 0, activation, []);
    public static LayerSpec Residual(IReadOnlyList<LayerSpec> block) => new(LayerKind.Residual, 0, 0, 0, Activation.Identity, block);
    public static LayerSpec Then(IReadOnlyList<LayerSpec> stack) => new(LayerKind.Then, 0, 0, 0, Activation.Identity, stack);

    /// <summary>The width after this layer, given the width before it.</summary>
    public int Outputs(int width) => Kind switch
    {
        LayerKind.Linear => A,
        LayerKind.FeedForward => B,
        LayerKind.Residual or LayerKind.Then => LayerStacks.Outputs(Inner, width),
        _ => width,
    };

    /// <summary>The builder call, e.g. <c>.Residual(b => b.LayerNorm().Linear(4))</c> (a reused stack starts at <paramref name="width"/>).</summary>
    public string Call(int width) => Kind switch
    {
        LayerKind.Linear => $".Linear({A})",
        LayerKind.Activation => $".Activation(Activation.{Activation})",
        LayerKind.Dropout => $".Dropout({Rate.ToString("R", CultureInfo.InvariantCulture)})",
        LayerKind.LayerNorm => ".LayerNorm()",
        LayerKind.FeedForward => $".FeedForward({A}, {B}, Activation.{Activation})",
        LayerKind.Residual => $".Residual(b => b{LayerStacks.Calls(Inner, width)})",
        _ => $".Then(Sequential.Input({width}){LayerStacks.Calls(Inner, width)})",
    };

    public override string ToString() => Call(0);
}

/// <summary>A random stack: the seed of its parameters, its input width and its layers; prints as the builder expression.</summary>
public sealed record StackCase(int Seed, int Inputs, IReadOnlyList<LayerSpec> Layers)
{
    /// <summary>The width the stack ends with.</summary>
    public int Outputs => LayerStacks.Outputs(Layers, Inputs);

    public override string ToString() => $"seed {Seed}: Sequential.Input({Inputs}){LayerStacks.Calls(Layers, Inputs)}";
}

/// <summary>
/// Random layer stacks for FsCheck, drawn as the stack-builder laws state them: top-level layers of any kind and
/// size; a residual block of 1 to 3 layers that keep the width; a reused stack (<c>Then</c>) of 0 to 3 plain layers.
/// A failing stack shrinks by dropping layers (top level and inside blocks), by unwrapping blocks, by simplifying sizes (towards 1), rates
/// (towards 0) and activations (towards <see cref="Activation.Identity"/>), and by setting the seed to 0.
/// </summary>
public static class LayerStacks
{
    static readonly Activation[] AllActivations = Enum.GetValues<Activation>();

    /// <summary>The width after <paramref name="layers"/>, starting from <paramref name="width"/>.</summary>
    public static int Outputs(IEnumerable<LayerSpec> layers, int width) => layers.Aggregate(width, (w, layer) => layer.Outputs(w));

    /// <summary>The builder calls of <paramref name="layers"/>, starting from <paramref name="width"/>.</summary>
    public static string Calls(IEnumerable<LayerSpec> layers, int width)
    {
        var text = new System.Text.StringBuilder();
        foreach (var layer in layers)
        {
            text.Append(layer.Call(width));
            width = layer.Outputs(width);
        }
        return text.ToString();
    }

    /// <summary>Valid stacks: input width 1 to 5, 1 to 6 layers, every size at least 1, every rate in [0, 1).</summary>
    public static Arbitrary<StackCase> Valid() =>
        Arb.From(
            Gen.Choose(0, int.MaxValue).SelectMany(seed => Gen.Choose(1, 5).SelectMany(inputs => Gen.Choose(1, 6)
                .SelectMany(count => Sequence(inputs, count, width => Layer(width, inBlock: false, mayBeInvalid: false).Select(l => (LayerSpec?)l)))
                .Select(layers => new StackCase(seed, inputs, layers)))),
            stack => Shrink(stack, valid: true));

    /// <summary>Stacks that are often invalid: sizes below 1, rates outside [0, 1), residual blocks that change the width; input width 4, 1 to 8 layers.</summary>
    public static Arbitrary<StackCase> PossiblyInvalid() =>
        Arb.From(
            Gen.Choose(1, 8).SelectMany(count => Sequence(4, count, width => Layer(width, inBlock: false, mayBeInvalid: true).Select(l => (LayerSpec?)l)))
                .Select(layers => new StackCase(0, 4, layers)),
            stack => Shrink(stack, valid: false));

    static Gen<int> Size(bool mayBeInvalid) =>
        mayBeInvalid ? Gen.Choose(0, 3).SelectMany(c => c == 0 ? Gen.Choose(-2, 0) : Gen.Choose(1, 6)) : Gen.Choose(1, 6);

    static Gen<double> Rate(bool mayBeInvalid) =>
        mayBeInvalid ? Gen.Choose(0, 3).SelectMany(c => c == 0 ? Gen.Elements(1.0, 1.5, -0.1) : Gen.Choose(0, 4).Select(r => r / 10.0))
            : Gen.Choose(0, 4).Select(r => r / 10.0);

    /// <summary>One layer at <paramref name="width"/>; in a residual block, linear layers keep the width.</summary>
    static Gen<LayerSpec> Layer(int width, bool inBlock, bool mayBeInvalid) =>
        Gen.Elements(AllActivations).SelectMany(activation => Gen.Choose(0, inBlock ? 4 : 6).SelectMany(kind => kind switch
        {
            0 => (inBlock ? Gen.Constant(width) : Size(mayBeInvalid)).Select(LayerSpec.Linear),
            1 => Gen.Constant(LayerSpec.Activate(activation)),
            2 => Rate(mayBeInvalid).Select(LayerSpec.Dropout),
            3 => Gen.Constant(LayerSpec.LayerNorm()),
            4 => Size(mayBeInvalid).SelectMany(hidden => (inBlock ? Gen.Constant(width) : Size(mayBeInvalid))
                .Select(outputs => LayerSpec.FeedForward(hidden, outputs, activation))),
            5 => Block(width, mayBeInvalid).Select(LayerSpec.Residual),
            _ => Gen.Choose(1, 3).SelectMany(count => Sequence(width, count, w => Layer(w, inBlock: false, mayBeInvalid)
                .Select(l => l.Kind is LayerKind.Residual or LayerKind.Then ? null : (LayerSpec?)l))).Select(LayerSpec.Then),
        }));

    /// <summary>A residual block: 1 to 3 layers that keep the width, sometimes (when allowed) ending at another width.</summary>
    static Gen<LayerSpec[]> Block(int width, bool mayBeInvalid) =>
        Gen.Choose(1, 3).SelectMany(count => Gen.ArrayOf(Layer(width, inBlock: true, mayBeInvalid), count)).SelectMany(inner =>
            !mayBeInvalid ? Gen.Constant(inner)
                : Gen.Choose(0, 2).SelectMany(c => c != 0 ? Gen.Constant(inner)
                    : Gen.Choose(1, 2).Select(extra => inner.Append(LayerSpec.Linear(width + extra)).ToArray())));

    /// <summary><paramref name="count"/> draws of <paramref name="layer"/>, each at the width the previous ones leave; a null draw is skipped.</summary>
    static Gen<LayerSpec[]> Sequence(int width, int count, Func<int, Gen<LayerSpec?>> layer) =>
        count == 0 ? Gen.Constant(Array.Empty<LayerSpec>())
            : layer(width).SelectMany(first => Sequence(first?.Outputs(width) ?? width, count - 1, layer)
                .Select(rest => first is null ? rest : [first, .. rest]));

    /// <summary>
    /// The simpler stacks to try when <paramref name="stack"/> fails, each different from it. For valid stacks every
    /// residual block is refitted to its input width (its linear layers keep the width), so candidates stay valid.
    /// </summary>
    public static IEnumerable<StackCase> Shrink(StackCase stack, bool valid)
    {
        var seen = new HashSet<string> { stack.ToString() };
        var candidates = Simpler(stack.Layers, minimum: 1).Select(layers => stack with { Layers = layers });
        if (valid && stack.Inputs != 1) candidates = candidates.Append(stack with { Inputs = 1 });
        if (stack.Seed != 0) candidates = candidates.Append(stack with { Seed = 0 });
        foreach (var candidate in candidates)
        {
            var fitted = valid ? candidate with { Layers = Fit(candidate.Layers, candidate.Inputs) } : candidate;
            if (seen.Add(fitted.ToString())) yield return fitted;
        }
    }

    /// <summary>
    /// Shorter lists (one layer dropped, keeping <paramref name="minimum"/>), lists with a residual block or a reused
    /// stack replaced by its layers, then lists with one layer simplified.
    /// </summary>
    static IEnumerable<IReadOnlyList<LayerSpec>> Simpler(IReadOnlyList<LayerSpec> layers, int minimum)
    {
        if (layers.Count > minimum)
            for (var i = 0; i < layers.Count; i++)
                yield return [.. layers.Take(i), .. layers.Skip(i + 1)];
        for (var i = 0; i < layers.Count; i++)
            if (layers[i].Kind is LayerKind.Residual or LayerKind.Then && layers.Count - 1 + layers[i].Inner.Count >= minimum)
                yield return [.. layers.Take(i), .. layers[i].Inner, .. layers.Skip(i + 1)];
        for (var i = 0; i < layers.Count; i++)
            foreach (var simpler in Simpler(layers[i]))
                yield return [.. layers.Take(i), simpler, .. layers.Skip(i + 1)];
    }

    static IEnumerable<LayerSpec> Simpler(LayerSpec layer)
    {
        switch (layer.Kind)
        {
            case LayerKind.Residual:
                foreach (var inner in Simpler(layer.Inner, minimum: 1)) yield return layer with { Inner = inner };
                break;
            case LayerKind.Then:
                foreach (var inner in Simpler(layer.Inner, minimum: 0)) yield return layer with { Inner = inner };
                break;
            case LayerKind.Linear:
                foreach (var a in SmallerSizes(layer.A)) yield return layer with { A = a };
                break;
            case LayerKind.FeedForward:
                foreach (var a in SmallerSizes(layer.A)) yield return layer with { A = a };
                foreach (var b in SmallerSizes(layer.B)) yield return layer with { B = b };
                if (layer.Activation != Activation.Identity) yield return layer with { Activation = Activation.Identity };
                break;
            case LayerKind.Activation:
                if (layer.Activation != Activation.Identity) yield return layer with { Activation = Activation.Identity };
                break;
            case LayerKind.Dropout:
                if (layer.Rate != 0) yield return layer with { Rate = 0 };
                break;
        }
    }

    /// <summary>Sizes closer to 1 (from above or below).</summary>
    static IEnumerable<int> SmallerSizes(int size) =>
        size == 1 ? [] : new[] { 1, size > 1 ? size - 1 : size + 1 }.Distinct();

    /// <summary>Every residual block's linear layers (and feed-forward outputs) set to the block's input width.</summary>
    static IReadOnlyList<LayerSpec> Fit(IReadOnlyList<LayerSpec> layers, int width)
    {
        var fitted = new List<LayerSpec>();
        foreach (var layer in layers)
        {
            fitted.Add(layer.Kind switch
            {
                LayerKind.Residual => layer with
                {
                    Inner = layer.Inner.Select(inner => inner.Kind switch
                    {
                        LayerKind.Linear => inner with { A = width },
                        LayerKind.FeedForward => inner with { B = width },
                        _ => inner,
                    }).ToArray(),
                },
                LayerKind.Then => layer with { Inner = Fit(layer.Inner, width) },
                _ => layer,
            });
            width = fitted[^1].Outputs(width);
        }
        return fitted;
    }
}

/// <summary>The arbitrary of the valid-stack laws: FsCheck's valid stacks (<see cref="LayerStacks.Valid"/>).</summary>
public static class ValidStacks
{
    public static Arbitrary<StackCase> Stacks() => LayerStacks.Valid();
}

/// <summary>The arbitrary of the error-report law: FsCheck's often invalid stacks (<see cref="LayerStacks.PossiblyInvalid"/>).</summary>
public static class PossiblyInvalidStacks
{
    public static Arbitrary<StackCase> Stacks() => LayerStacks.PossiblyInvalid();
}
