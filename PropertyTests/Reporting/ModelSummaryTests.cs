using System.Globalization;
using FsCheck.Xunit;
using Functional.Core;
using Functional.Reporting;
using Functional.Training;
using TorchSharp;
using Xunit;
using static Functional.PropertyTests.Training.TrainingFixtures;

namespace Functional.PropertyTests.Reporting;

public sealed class ModelSummaryTests
{
    sealed record Block(torch.Tensor Weight, torch.Tensor? Bias);

    sealed record Net(Block Input, IReadOnlyList<Block> Layers, torch.Tensor Scale);

    [Property(MaxTest = 50)]
    public void The_total_is_the_sum_of_the_leaf_sizes_with_one_row_per_leaf(byte[] dims, bool bias)
    {
        using var scope = torch.NewDisposeScope();
        var sizes = dims.Take(6).Select(d => d % 5 + 1).ToArray();
        var net = new Net(new Block(torch.zeros(3, 4), bias ? torch.zeros(4) : null),
            sizes.Select(n => new Block(torch.zeros(n, n + 1), bias ? torch.zeros(n) : null)).ToArray(), torch.zeros([]));

        var summary = ModelSummary.Of(net);

        var leaves = Tree.Flatten(net);
        Assert.Equal(leaves.Select(l => l.Path), summary.Rows.Select(r => r.Path));
        Assert.Equal(leaves.Sum(l => l.Value.numel()), summary.Total);
        Assert.Equal(12 + (bias ? 4 : 0) + sizes.Sum(n => n * (n + 1) + (bias ? n : 0)) + 1, summary.Total);
        Assert.Equal(summary.Total * 4, summary.Bytes);
        var text = summary.ToString();
        Assert.Equal(leaves.Count + 4, text.Split(Environment.NewLine).Length);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Total: {summary.Total:N0} parameters in {leaves.Count} tensors ("), text.Split(Environment.NewLine)[^1]);
    }

    [Fact]
    public void The_observer_prints_the_table_of_the_model_a_fit_starts_from()
    {
        var output = new StringWriter();
        var model = Model(1);
        using var random = torch.zeros(1);
        var state = new TrainState<Models.Digits.DigitClassifier, NoState>(model, new object(), 0, random, DataPosition.Start, Functional.Core.NoState.Value);

        new ModelSummaryObserver(output).FitStarted(new FitStart<Models.Digits.DigitClassifier, NoState>(state, 1, 1));

        var text = output.ToString();
        var first = Tree.Flatten(model)[0];
        Assert.StartsWith("Parameter", text);
        Assert.Contains(first.Path, text);
        Assert.Contains($"[{string.Join(", ", first.Value.shape)}]", text);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Total: {Tree.Leaves(model).Sum(t => t.numel()):N0} parameters"), text);
        Tree.Dispose(model);
    }
}
