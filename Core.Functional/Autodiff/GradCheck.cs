using TorchSharp;

namespace Functional.Core;

/// <summary>
/// Compares the gradient <see cref="Autodiff.ValueAndGrad{TParams}"/> computes for a loss with central finite
/// differences in float64: the test to run on a layer of one's own.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Converts every floating leaf of <paramref name="parameters"/> to float64 and checks the gradient of
    /// <paramref name="loss"/> there, element by element (all elements of small leaves, a seeded sample of large
    /// ones).
    /// </summary>
    /// <remarks>
    /// The loss must compute in float64 (convert any input it captures with <c>.to(torch.float64)</c>) and be
    /// deterministic: a loss that draws random numbers must draw the same ones at every call (a fresh generator
    /// with a fixed seed inside the loss). The caller's tensors are not touched; everything allocated is released.
    /// </remarks>
    /// <exception cref="ArgumentException">The loss does not compute in float64.</exception>
    public static GradCheckReport Run<TParams>(Func<TParams, torch.Tensor> loss, TParams parameters, GradCheckOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var point = Tree.Map(parameters, leaf => leaf.is_floating_point() ? leaf.detach().to(torch.float64).clone() : leaf.detach());
        var analytic = Autodiff.ValueAndGrad(loss, point);
        if (analytic.Value.dtype != torch.float64)
            throw new ArgumentException($"GradCheck needs the loss in float64 (got {analytic.Value.dtype}): convert the inputs the loss captures with .to(torch.float64).");

        var leaves = Tree.Flatten(point);
        var gradients = Tree.Leaves(analytic.Gradient);
        var random = new Random(options.Seed);
        int checkedCount = 0, failed = 0;
        GradCheckElement? worst = null;
        using var noGradient = torch.no_grad();
        for (var i = 0; i < leaves.Count; i++)
        {
            var leaf = leaves[i].Value;
            if (!leaf.is_floating_point()) continue;
            var flatGradient = gradients[i].reshape(-1);
            foreach (var index in ElementsToCheck(leaf.numel(), options.MaxElementsPerLeaf, random))
            {
                var numeric = (LossWith(loss, point, leaves, i, index, options.Step) - LossWith(loss, point, leaves, i, index, -options.Step)) / (2 * options.Step);
                var exact = flatGradient[index].item<double>();
                var ratio = Math.Abs(exact - numeric) / (options.AbsoluteTolerance + options.RelativeTolerance * Math.Abs(numeric));
                if (double.IsNaN(ratio)) ratio = double.PositiveInfinity;
                checkedCount++;
                if (ratio > 1) failed++;
                if (worst is null || ratio > worst.ToleranceRatio) worst = new GradCheckElement(leaves[i].Path, index, exact, numeric, ratio);
            }
        }
        return new GradCheckReport(failed == 0, checkedCount, failed, worst);
    }

    static double LossWith<TParams>(Func<TParams, torch.Tensor> loss, TParams point, IReadOnlyList<TreeLeaf> leaves, int leaf, long index, double step)
    {
        using var scope = torch.NewDisposeScope();
        var shifted = leaves[leaf].Value.clone();
        var flat = shifted.view(-1);
        using var shift = step.ToScalar();
        flat[index] = flat[index].add(shift, Scalars.One);
        var moved = leaves.Select((l, j) => j == leaf ? shifted : l.Value).ToArray();
        return LayerPaths.Resolve(Tree.Unflatten(point, moved), loss).item<double>();
    }

    static IEnumerable<long> ElementsToCheck(long count, int maximum, Random random)
    {
        if (count <= maximum)
        {
            for (long i = 0; i < count; i++) yield return i;
            yield break;
        }
        var chosen = new HashSet<long>();
        while (chosen.Count < maximum) chosen.Add(random.NextInt64(count));
        foreach (var index in chosen.Order()) yield return index;
    }
}
