using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using static TorchSharp.torch;
using Functional.Models.Titles;
using Functional.Training;

namespace Functional.Benchmarks;

/// <summary>
/// The title model's side-by-side comparisons: <c>dotnet run --project Benchmarks -c Release -- titles-race [rounds]</c>.
/// (1) A training step (loss, gradients, Adam) of the model built from the library's pure layers
/// (<see cref="TitleLoss"/>, <see cref="Autodiff.ValueAndGrad{TParams}"/>, <c>Optimizer.Step</c>) against the
/// same architecture written with TorchSharp <c>nn</c> modules (nn.Embedding, nn.LSTM on packed sequences, nn.Linear,
/// the same attention and copy-prior math, <c>backward()</c>, <c>torch.optim.Adam</c>), on the same weights and batch;
/// the forward losses are shown to agree first. (2) Beam search with incremental decoding against the same search
/// re-running the decoder over every beam's prefix. Rounds alternate the two sides (robust to machine load); the
/// ratios are of medians.
/// </summary>
public static class TitlesRace
{
    internal const int Vocabulary = 3205, Batch = 32, Seed = 7;

    /// <summary>The race's batch: <see cref="Batch"/> random pairs, articles of 60 to 100 and titles of 12 to 29 ids.</summary>
    internal static EncodedTitlePair[] RandomPairs()
    {
        var random = new Random(Seed);
        return Enumerable.Range(0, Batch).Select(_ => new EncodedTitlePair(
            Enumerable.Range(0, random.Next(60, 101)).Select(_ => random.Next(4, Vocabulary)).ToArray(),
            Enumerable.Range(0, random.Next(12, 30)).Select(_ => random.Next(4, Vocabulary)).ToArray())).ToArray();
    }

    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
        Console.WriteLine($"torch threads: {get_num_threads()}; load: {File.ReadAllText("/proc/loadavg").Trim()}");
        var options = TitleModelOptions.Default with { Dropout = 0 };
        using var generator = new Generator(Seed);
        var parameters = TitleModel.Init(generator, Vocabulary, options, CPU);
        var pairs = RandomPairs();
        using var batch = TitleBatches.Collate(pairs, 1);
        using var peer = new NnTitleModel(parameters, options);

        using (no_grad())
        {
            var ours = TitleLoss.Apply(parameters, batch, options, false, generator, Capture.None).Loss.item<float>();
            var theirs = peer.Loss(batch).item<float>();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"forward loss: ours {ours:F6}  nn modules {theirs:F6}  |difference| {Math.Abs(ours - theirs):E2}"));
        }

        // Our side is the training API's step (what titles train runs): loss inside the model, gradients, Adam.
        var optimizer = Optimizer.FusedAdam(1e-3);
        var model = TitleModelLoss.Of(options);
        var state = TrainState.Init(parameters, NoState.Value, optimizer, Seed);
        var torchOptimizer = optim.Adam(peer.parameters(), 1e-3);
        void OurStep()
        {
            var next = TrainingSteps.Step(model, optimizer, state, batch).State;
            TrainState.Dispose(state);
            state = next;
        }
        void PeerStep()
        {
            using var scope = NewDisposeScope();
            torchOptimizer.zero_grad();
            peer.Loss(batch).backward();
#pragma warning disable FT0003 // the torch.optim peer: Adam.step makes its hyperparameters temporary Scalars
            torchOptimizer.step();
#pragma warning restore FT0003
        }
        var (ourStep, peerStep) = Interleave(OurStep, PeerStep, rounds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training step (batch {Batch}, vocabulary {Vocabulary}): ours {ourStep:F0} ms  nn modules {peerStep:F0} ms  speed ratio (nn time / our time) {peerStep / ourStep:F3}x"));

        var articles = pairs.Take(4).Select(p => p.Article).ToArray();
        var beam = new BeamSearchOptions(4, 20, 24, false);
        foreach (var rerun in new[] { PrefixRerun.WholeModel, PrefixRerun.DecoderOnly })
        {
            var same = articles.All(a => BeamSearch.Decode(parameters, a, beam) is var x && BeamSearch.DecodeByRerunningPrefix(parameters, a, beam, rerun) is var y
                && x.Ids.SequenceEqual(y.Ids) && Math.Abs(x.Score - y.Score) < 1e-3);
            var (incremental, prefix) = Interleave(
                () => { foreach (var a in articles) BeamSearch.Decode(parameters, a, beam); },
                () => { foreach (var a in articles) BeamSearch.DecodeByRerunningPrefix(parameters, a, beam, rerun); }, rounds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"beam search (width {beam.Width}, titles of {beam.MinLength}-{beam.MaxLength} characters, {articles.Length} articles, same titles and scores: {same}): incremental {incremental:F0} ms  re-running the prefix ({rerun}) {prefix:F0} ms  speed-up {prefix / incremental:F2}x"));
        }
        return 0;
    }

    /// <summary>Medians (ms) of <paramref name="rounds"/> alternating runs of each, after one warm-up of each.</summary>
    static (double First, double Second) Interleave(Action first, Action second, int rounds)
    {
        first();
        second();
        var a = new double[rounds];
        var b = new double[rounds];
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            first();
            a[i] = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            second();
            b[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(a);
        Array.Sort(b);
        return (a[rounds / 2], b[rounds / 2]);
    }
}
