using System.Diagnostics;
using TorchSharp;

namespace Functional.Models.Word2Vec;

/// <summary>Progress of a skip-gram run, reported by the first worker.</summary>
/// <param name="Fraction">Share of all epochs' words processed, 0 to 1.</param>
/// <param name="WordsPerSecond">Corpus words (before subsampling) processed per second so far, all workers together.</param>
/// <param name="MeanLoss">Mean loss per (centre, context) example over the first worker's recent examples.</param>
/// <param name="LearningRate">The current step size.</param>
public sealed record SkipGramProgress(double Fraction, double WordsPerSecond, double MeanLoss, double LearningRate);

/// <summary>
/// Trains skip-gram with negative sampling with the hand-written step (<see cref="SkipGramKernel"/>): sparse row
/// updates on raw float rows, no autograd graph, workers sharing the tables without locks as in word2vec.
/// </summary>
public static class SkipGramTrainer
{
    const int ReportEvery = 10_000;

    /// <summary>
    /// Trains on <paramref name="corpus"/> (word ids of <paramref name="vocabulary"/>, in order) and returns the
    /// trained tables. Each worker takes a contiguous slice of the corpus; the learning rate decays linearly with the
    /// corpus words processed by all workers. With one thread the result depends only on the seed.
    /// </summary>
    public static SkipGramParams Train(int[] corpus, WordVocabulary vocabulary, SkipGramOptions options, Action<SkipGramProgress> progress)
    {
        options.Validated();
        var dimension = options.Dimension;
        float[] input, output;
        using (var generator = new torch.Generator((ulong)options.Seed))
        using (var initial = SkipGramParams.Init(generator, vocabulary.Size, dimension).Input)
        {
            input = initial.data<float>().ToArray();
            output = new float[input.Length];
        }
        var sampler = new SkipGramSampler(vocabulary, options.Subsample);
        var totalWords = (long)corpus.Length * options.Epochs;
        long processed = 0;
        var clock = Stopwatch.StartNew();

        void Work(int worker)
        {
            var random = new Random(options.Seed * 7919 + worker);
            int start = (int)((long)corpus.Length * worker / options.Threads), end = (int)((long)corpus.Length * (worker + 1) / options.Threads);
            var targets = new int[1 + options.Negatives];
            var scratch = new float[dimension];
            double recentLoss = 0;
            long recentExamples = 0;
            for (var epoch = 0; epoch < options.Epochs; epoch++)
            {
                var kept = sampler.Subsample(corpus.AsSpan(start, end - start), random);
                long counted = 0;
                var rate = (float)options.LearningRate;
                for (var centre = 0; centre < kept.Length; centre++)
                {
                    if (centre % ReportEvery == 0)
                    {
                        var now = (long)((double)centre / kept.Length * (end - start));
                        var total = Interlocked.Add(ref processed, now - counted);
                        counted = now;
                        rate = (float)(options.LearningRate * Math.Max(1e-4, 1 - (double)total / totalWords));
                        if (worker == 0 && recentExamples > 0)
                        {
                            progress(new SkipGramProgress((double)total / totalWords, total / clock.Elapsed.TotalSeconds, recentLoss / recentExamples, rate));
                            (recentLoss, recentExamples) = (0, 0);
                        }
                    }
                    var reach = random.Next(1, options.Window + 1);
                    for (var context = Math.Max(0, centre - reach); context <= Math.Min(kept.Length - 1, centre + reach); context++)
                    {
                        if (context == centre) continue;
                        targets[0] = kept[context];
                        for (var k = 1; k < targets.Length; k++) targets[k] = sampler.Negative(random);
                        recentLoss += SkipGramKernel.Step(input, output, dimension, kept[centre], targets, rate, scratch);
                        recentExamples++;
                    }
                }
                Interlocked.Add(ref processed, end - start - counted);
            }
        }

        var threads = Enumerable.Range(0, options.Threads).Select(worker => new Thread(() => Work(worker))).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        return new SkipGramParams(torch.tensor(input, [vocabulary.Size, dimension]), torch.tensor(output, [vocabulary.Size, dimension]));
    }
}
