using System.Diagnostics;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Models.Word2Vec;

/// <summary>
/// The autodiff twin of <see cref="SkipGramTrainer"/>: the same examples (same sampling recipe), batched, with the
/// gradient of <see cref="SkipGram.Loss"/> from <see cref="Autodiff.ValueAndGrad{TParams}"/> and the update from an
/// optimizer pipeline (SGD with the same linearly decaying rate). The gradient is dense — every row of both tables
/// is written at every step — which is the cost the hand-written version avoids.
/// </summary>
public static class SkipGramAutodiffTrainer
{
    /// <summary>
    /// Trains on <paramref name="corpus"/> for <paramref name="options"/>' epochs in batches of
    /// <paramref name="batchSize"/> examples (one worker; the pipeline's step is itself parallel), stopping early after
    /// <paramref name="wordLimit"/> corpus words when given (to measure speed without a full run).
    /// </summary>
    public static SkipGramParams Train(int[] corpus, WordVocabulary vocabulary, SkipGramOptions options, int batchSize, long? wordLimit, Action<SkipGramProgress> progress)
    {
        options.Validated();
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        using var generator = new torch.Generator((ulong)options.Seed);
        var parameters = SkipGramParams.Init(generator, vocabulary.Size, options.Dimension);
        var sampler = new SkipGramSampler(vocabulary, options.Subsample);
        var random = new Random(options.Seed * 7919);

        // Linear decay over the expected number of steps: each kept centre gives (window + 1) examples on average.
        var keptPerEpoch = corpus.Sum(id => sampler.KeepProbability(id));
        var expectedSteps = (long)Math.Ceiling(keptPerEpoch * (options.Window + 1) * options.Epochs / batchSize);
        var pipeline = Optimizer.Sgd(new PiecewiseLinear(options.LearningRate, [new Knot(0, 1), new Knot(Math.Max(1, expectedSteps), 1e-4)]));
        var state = Optimizer.Init(pipeline, parameters);

        var centres = new List<long>(batchSize);
        var targets = new List<long>(batchSize * (1 + options.Negatives));
        var clock = Stopwatch.StartNew();
        long wordsDone = 0;
        var totalWords = wordLimit ?? (long)corpus.Length * options.Epochs;
        for (var epoch = 0; epoch < options.Epochs && wordsDone < totalWords; epoch++)
        {
            var kept = sampler.Subsample(corpus, random);
            for (var centre = 0; centre < kept.Length && wordsDone < totalWords; centre++)
            {
                var reach = random.Next(1, options.Window + 1);
                for (var context = Math.Max(0, centre - reach); context <= Math.Min(kept.Length - 1, centre + reach); context++)
                {
                    if (context == centre) continue;
                    centres.Add(kept[centre]);
                    targets.Add(kept[context]);
                    for (var k = 0; k < options.Negatives; k++) targets.Add(sampler.Negative(random));
                    if (centres.Count < batchSize) continue;
                    var (next, nextState, loss) = Step(pipeline, parameters, state, centres, targets, options.Negatives);
                    Tree.Dispose(parameters);
                    (parameters, state) = (next, nextState);
                    centres.Clear();
                    targets.Clear();
                    wordsDone = epoch * (long)corpus.Length + (long)((double)(centre + 1) / kept.Length * corpus.Length);
                    progress(new SkipGramProgress((double)wordsDone / totalWords, wordsDone / clock.Elapsed.TotalSeconds, loss / batchSize, double.NaN));
                }
            }
        }
        return parameters;
    }

    static (SkipGramParams, object, double) Step(IGradientTransformation pipeline, SkipGramParams parameters, object state, List<long> centres, List<long> targets, int negatives)
    {
        using var scope = torch.NewDisposeScope();
        var batch = new SkipGramBatch(torch.tensor(centres.ToArray()), torch.tensor(targets.ToArray(), [centres.Count, 1 + negatives]));
        var (loss, gradient) = Autodiff.ValueAndGrad(p => SkipGram.Loss(p, batch), parameters);
        var step = Optimizer.Step(pipeline, gradient, state, parameters);
        scope.MoveToOuter(Tree.Leaves(step.Parameters));
        scope.MoveToOuter(Tree.Leaves(step.State));
        return (step.Parameters, step.State, loss.item<float>());
    }
}
