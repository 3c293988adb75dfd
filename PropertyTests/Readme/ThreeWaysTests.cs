using Functional.Core;
using Functional.Facade;
using TorchSharp;
using Xunit;
using Functional.Training;

namespace Functional.PropertyTests.Readme;

/// <summary>"The same program three ways" (docs/articles/three-ways.md), line for line: the C# facade, the C# core (<see cref="ThreeWaysCore"/>) and F# versions train the same model on the same data to the same losses.</summary>
public sealed class ThreeWaysTests
{
    public sealed record Batch(torch.Tensor X, torch.Tensor Y);

    internal static Batch[] Batches(torch.Generator generator) =>
        Enumerable.Range(0, 8).Select(_ => torch.randn([16, 3], generator: generator)).Select(x => new Batch(x, x.sum(1, keepdim: true).sin())).ToArray();

    // C#, the facade.
    static FitResult<StackParams, NoState> WithTheFacade()
    {
        using var generator = new torch.Generator(7);
        var model = Sequential.Input(3).Linear(16).Tanh().Linear(1).Build(generator, torch.CPU)
            .WithLoss<Batch>(batch => batch.X, (prediction, batch) => ModelOutput.Of((prediction - batch.Y).pow(Scalars.Two).mean()));
        var batches = Batches(generator);
        var result = Trainer.For(model).With(Optimizer.Adam(0.03).ClipByGlobalNorm(1).WithEma(0.9)).Seed(7).Fit(batches, epochs: 5);
        return result;
    }

    [Fact]
    public void The_three_programs_train_to_the_same_losses()
    {
        using var scope = torch.NewDisposeScope();
        var facade = WithTheFacade().History.Select(epoch => epoch.Train["loss"]).ToArray();
        var core = ThreeWaysCore.Run().History.Select(epoch => epoch.Train["loss"]).ToArray();
        var fsharp = FSharpExamples.ThreeWays.run(torch.CPU).Chunk(8).Select(epoch => epoch.Sum() / 8).ToArray();

        Assert.Equal(5, facade.Length);
        Assert.True(facade[^1] < facade[0] / 2, $"loss {facade[0]} -> {facade[^1]}");
        Assert.Equal(core, facade);
        Assert.Equal(core, fsharp);
    }
}
