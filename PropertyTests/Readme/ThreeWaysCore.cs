using Functional.Core;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;
using Batch = Functional.PropertyTests.Readme.ThreeWaysTests.Batch;

namespace Functional.PropertyTests.Readme;

/// <summary>
/// "The same program three ways" (docs/articles/three-ways.md), the C# core way, line for line: in a file of its own,
/// because the core's <c>Optimizer</c> and the facade's share a name.
/// </summary>
public static class ThreeWaysCore
{
    /// <summary>The two-layer regressor as a record of layer records.</summary>
    public sealed record Regressor(LinearParams Hidden, LinearParams Output);

    static Batch[] Batches(torch.Generator generator) => ThreeWaysTests.Batches(generator);

    /// <summary>Five epochs of clipped, averaged Adam with <c>Fit.Run</c>.</summary>
    public static FitResult<Regressor, NoState> Run()
    {
        using var generator = new torch.Generator(7);
        var model = new Regressor(Linear.Init(generator, 3, 16, torch.CPU), Linear.Init(generator, 16, 1, torch.CPU));
        ModelLoss<Regressor, NoState, Batch> loss = (m, batch, _) =>
            ModelOutput.Of((Linear.Apply(m.Output, Activations.Tanh(Linear.Apply(m.Hidden, batch.X))) - batch.Y).pow(Scalars.Two).mean());
        var batches = Batches(generator);
        var optimizer = new Chain(new ClipByGlobalNorm(1), Optimizer.Adam(0.03), new ParameterEma(0.9, false));
        var data = new TrainingData<Batch>(batches.Length, position => batches.Skip(position.Batch));
        var result = Fit.Run(loss, optimizer, TrainState.Init(model, NoState.Value, optimizer, 7), data, null, FitOptions.Default with { Epochs = 5 }, CancellationToken.None);
        return result;
    }
}
