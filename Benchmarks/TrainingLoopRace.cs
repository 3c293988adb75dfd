using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using static TorchSharp.torch;
using Functional.Models.Digits;
using Functional.Training;

namespace Functional.Benchmarks;

/// <summary>
/// <c>train-loop [steps]</c>: the pure training step over a long run. It trains the MNIST classifier (784-256-256-10,
/// dropout, batch 64, Adam + EMA) for <c>steps</c> steps (10,000 by default) with <see cref="TrainingSteps.Step"/>,
/// printing resident memory at step 1,000 and at the end (the growth must stay within 5%), then times the same step
/// against the same network as TorchSharp <c>nn</c> modules with <c>torch.optim.Adam</c>, alternating, and prints the ratio.
/// </summary>
public static class TrainingLoopRace
{
    const int Batch = 64;

    /// <summary>Runs the comparison; returns 0.</summary>
    public static int Run(string[] args)
    {
        var steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        using var generator = new Generator(1);
        var pixels = rand([4096, DigitClassifier.Pixels], generator: generator);
        var digits = randint(0, 10, [4096], generator: generator);
        var pipeline = Optimizer.FusedAdam(1e-3) with { Average = new ParameterEma(0.999, BiasCorrection: true) };
        var state = TrainState.Init(DigitClassifier.Init(generator, 256, 0.2, CPU), NoState.Value, pipeline, 1);

        DigitBatch BatchAt(long step) => DigitBatch.Gather(pixels, digits, Enumerable.Range((int)(step * Batch % (4096 - Batch)), Batch).ToArray());

        long residentAt1000 = 0;
        var clock = Stopwatch.StartNew();
        for (var step = 1; step <= steps; step++)
        {
            using var batch = BatchAt(step);
            var next = TrainingSteps.Step<DigitClassifier, NoState, DigitBatch>(DigitClassifier.Model, pipeline, state, batch).State;
            TrainState.Dispose(state);
            state = next;
            if (step == Math.Min(1000, steps)) residentAt1000 = Resident();
            if (step % 2000 == 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step,6}: resident {Resident() / 1e6:F1} MB ({clock.Elapsed.TotalSeconds:F0} s)"));
        }
        var residentAtEnd = Resident();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resident memory: {residentAt1000 / 1e6:F1} MB at step 1,000, {residentAtEnd / 1e6:F1} MB at step {steps:N0}: growth {100.0 * (residentAtEnd - residentAt1000) / residentAt1000:F2}% (limit 5%)"));

        Console.WriteLine("Step time against TorchSharp nn + torch.optim.Adam on the same network and batches (alternating rounds of 100 steps):");
        var peer = Peer.From(state.Parameters);
        var (ourTimes, theirTimes) = (new List<double>(), new List<double>());
        for (var round = 0; round < 9; round++)
        {
            ourTimes.Add(Time(100, step =>
            {
                using var batch = BatchAt(step);
                var next = TrainingSteps.Step<DigitClassifier, NoState, DigitBatch>(DigitClassifier.Model, pipeline, state, batch).State;
                TrainState.Dispose(state);
                state = next;
            }));
            theirTimes.Add(Time(100, step =>
            {
                using var batch = BatchAt(step);
                peer.Step(batch);
            }));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: speed ratio (theirs/ours) {theirTimes[^1] / ourTimes[^1]:F3}"));
        }
        static double Median(List<double> times) => times.Order().ElementAt(times.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"speed ratio (theirs/ours): {Median(theirTimes) / Median(ourTimes):F3} on median rounds, {theirTimes.Min() / ourTimes.Min():F3} on the fastest rounds (above 1: ours is faster; ours also keeps an EMA of the weights)"));
        return 0;
    }

    static long Resident()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    static double Time(int steps, Action<long> step)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++) step(i);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The same network as <see cref="DigitClassifier"/> written with TorchSharp modules, trained by <c>torch.optim.Adam</c>.</summary>
    sealed class Peer
    {
        readonly nn.Module<Tensor, Tensor> network;
        readonly optim.Optimizer adam;

        Peer(nn.Module<Tensor, Tensor> network)
        {
            this.network = network;
            adam = optim.Adam(network.parameters(), 1e-3);
        }

        public static Peer From(DigitClassifier model)
        {
            var first = nn.Linear(DigitClassifier.Pixels, model.Features.Inner.Weight.shape[0]);
            var second = nn.Linear(model.Features.Inner.Weight.shape[0], model.Features.Outer.Weight.shape[0]);
            var head = nn.Linear(model.Output.Weight.shape[1], 10);
            using (no_grad())
            {
                foreach (var (layer, weights) in new[] { (first, model.Features.Inner), (second, model.Features.Outer), (head, model.Output) })
                {
                    layer.weight!.copy_(weights.Weight);
                    layer.bias!.copy_(weights.Bias!);
                }
            }
            return new Peer(nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), nn.Dropout(model.DropoutRate), head));
        }

        public void Step(DigitBatch batch)
        {
            using var scope = NewDisposeScope();
            network.train();
            adam.zero_grad();
            var loss = nn.functional.cross_entropy(network.forward(batch.Pixels), batch.Digits);
            loss.backward();
            adam.step();
        }
    }
}
