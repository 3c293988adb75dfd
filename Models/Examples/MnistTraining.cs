using System.Diagnostics;
using Functional.Core;
using TorchSharp;

namespace Functional.Models;

/// <summary>How the MNIST example trains.</summary>
/// <param name="DataDirectory">Holds the MNIST t10k files.</param>
/// <param name="Epochs">Passes over the training part.</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="LearningRate">SGD step size.</param>
/// <param name="Momentum">Heavy-ball momentum.</param>
/// <param name="Hidden">Width of the hidden layers.</param>
/// <param name="ValidationCount">Examples held out (the last ones of the file) to measure accuracy.</param>
/// <param name="Seed">Seeds initialisation, shuffling and dropout.</param>
public sealed record MnistTrainingOptions(
    string DataDirectory, int Epochs, int BatchSize, double LearningRate, double Momentum, int Hidden, int ValidationCount, int Seed)
{
    /// <summary>Ten epochs of SGD with momentum on 9,000 digits, 1,000 held out.</summary>
    public static MnistTrainingOptions Default { get; } = new("../shared/data/mnist-t10k", 10, 64, 0.05, 0.9, 256, 1000, 1);
}

/// <summary>One finished epoch.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's steps.</param>
/// <param name="ValidationAccuracy">Share of held-out digits classified right.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record MnistEpoch(int Epoch, double TrainLoss, double ValidationAccuracy, double Seconds);

/// <summary>
/// Trains <see cref="DigitClassifier"/> with plain SGD with momentum written directly on parameter trees
/// (<see cref="Tree.Zip{T}"/>): the smallest complete training program the core supports.
/// </summary>
public static class MnistTraining
{
    /// <summary>Parameters and momentum buffers: a tree, so a step can hand it out of its dispose scope whole.</summary>
    sealed record SgdState(DigitClassifier Parameters, DigitClassifier Velocity, torch.Tensor Loss);

    /// <summary>Trains and reports each epoch to <paramref name="report"/>; returns the trained classifier.</summary>
    public static DigitClassifier Run(MnistTrainingOptions options, Action<MnistEpoch> report)
    {
        var data = Mnist.Load(options.DataDirectory);
        var pixels = data.Images.reshape(-1, DigitClassifier.Pixels).to(torch.float32) / 255.0f;
        var trainCount = pixels.shape[0] - options.ValidationCount;
        var (trainPixels, trainDigits) = (pixels.narrow(0, 0, trainCount), data.Labels.narrow(0, 0, trainCount));
        var (validationPixels, validationDigits) = (pixels.narrow(0, trainCount, options.ValidationCount), data.Labels.narrow(0, trainCount, options.ValidationCount));

        using var generator = new torch.Generator((ulong)options.Seed);
        var model = DigitClassifier.Init(generator, options.Hidden, dropoutRate: 0.2, torch.CPU);
        var state = new SgdState(model, Tree.Map(model, p => torch.zeros_like(p)), torch.zeros(1));

        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var order = torch.randperm(trainCount, generator: generator);
            double lossSum = 0;
            var steps = 0;
            for (long start = 0; start < trainCount; start += options.BatchSize)
            {
                var next = Memory.Scoped(() =>
                {
                    var batch = order.narrow(0, start, Math.Min(options.BatchSize, trainCount - start));
                    return Step(state, trainPixels.index_select(0, batch), trainDigits.index_select(0, batch), options, generator);
                });
                Tree.Dispose(state);
                state = next;
                lossSum += state.Loss.item<float>();
                steps++;
            }
            order.Dispose();
            var accuracy = DigitClassifier.Accuracy(state.Parameters, validationPixels, validationDigits, generator);
            report(new MnistEpoch(epoch, lossSum / steps, accuracy, clock.Elapsed.TotalSeconds));
        }
        return state.Parameters;
    }

    static SgdState Step(SgdState state, torch.Tensor pixels, torch.Tensor digits, MnistTrainingOptions options, torch.Generator generator)
    {
        var (loss, gradient) = Autodiff.ValueAndGrad(m => DigitClassifier.Loss(m, pixels, digits, training: true, generator), state.Parameters);
        var velocity = Tree.Zip(state.Velocity, gradient, (v, g) => options.Momentum * v + g);
        var parameters = Tree.Zip(state.Parameters, velocity, (p, v) => p - options.LearningRate * v);
        return new SgdState(parameters, velocity, loss);
    }
}
