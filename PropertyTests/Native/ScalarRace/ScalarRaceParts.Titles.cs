using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Functional.Models.Text;
using Functional.Models.Titles;
using Functional.Training;
// PropertyTests has a namespace Training of its own.

namespace Functional.PropertyTests.Native;

public static partial class ScalarRaceParts
{
    /// <summary>The tiny title model of the title parts: the size of the title tests' (<c>TitleTesting.Tiny</c>).</summary>
    static readonly TitleModelOptions TinyTitles = new(8, 6, 1, 8, 1, 12, 0, 16, 8);

    /// <summary>Ids 0 to 3 are reserved (padding, unknown, start, end); characters are 4 to 19.</summary>
    const int TitleVocabulary = 20;

    /// <summary>Articles of 0 to 12 characters (one empty, which the model handles as an all-padding row).</summary>
    static readonly int[][] Articles = [[4, 9, 11, 5, 17, 8, 12], [6, 6, 13, 19, 4, 10, 15, 16, 7, 14, 5, 18], [], [12, 8, 4]];

    static TitleModelParams TitleModelFor(ulong seed)
    {
        using var generator = new torch.Generator(seed);
        return TitleModel.Init(generator, TitleVocabulary, TinyTitles, torch.CPU);
    }

    /// <summary>Articles encoded once, then four incremental decoder steps (<see cref="TitleDecoder.Step"/>), each reading the previous step's best characters.</summary>
    static ScalarRacePart TitleStepPart(string name)
    {
        var model = TitleModelFor(16);

        double Run() => Scoped(() =>
        {
            var encoded = TitleGeneration.Encode(model, Articles);
            var state = TitleDecoder.InitialState(model, Articles.Length);
            var previous = torch.tensor(Enumerable.Repeat((long)CharacterVocabulary.Start, Articles.Length).ToArray());
            var outputs = new List<torch.Tensor>();
            for (var step = 0; step < 4; step++)
            {
                var result = TitleDecoder.Step(model, encoded, previous, state);
                outputs.Add(result.LogProbabilities);
                previous = result.LogProbabilities.argmax(1);
                state = result.State;
            }
            return Checksum([.. outputs, state.Hidden, state.Cell]);
        });

        return new ScalarRacePart(name, Run, () => Tree.Dispose(model));
    }

    /// <summary>Beam search (width 3, up to 6 characters, no character twice) over the articles as one batch.</summary>
    static ScalarRacePart TitleBeamPart(string name)
    {
        var model = TitleModelFor(17);
        var options = new BeamSearchOptions(3, 1, 6, true) { NoRepeatNgram = 1 };
        return new ScalarRacePart(name, () => Scoped(() => Titles(BeamSearch.DecodeMany(model, Articles, options))), () => Tree.Dispose(model));
    }

    /// <summary>Greedy decoding and top-k/top-p sampling from a seeded generator, up to 5 characters.</summary>
    static ScalarRacePart TitleGreedyPart(string name)
    {
        var model = TitleModelFor(18);
        var greedy = new GreedyOptions(1, 5) { NoRepeatNgram = 1 };
        var sampling = new SamplingOptions(5, 0.9, 1.5, 1, 5);

        double Run() => Scoped(() =>
        {
            using var generator = new torch.Generator(19);
            return Titles(GreedyDecoding.Decode(model, Articles, greedy)) + Titles(TitleSampling.Decode(model, Articles, sampling, generator));
        });

        return new ScalarRacePart(name, Run, () => Tree.Dispose(model));
    }

    /// <summary>A checksum of decoded titles: their scores, lengths, ids and whether they finished.</summary>
    static double Titles(IEnumerable<DecodedTitle> titles) =>
        titles.Sum(t => t.Score + t.Ids.Length + t.Ids.Select((id, k) => (double)id * (k + 1)).Sum() + (t.Finished ? 0.5 : 0));

    /// <summary>
    /// One epoch of 3 batches of the title model through <see cref="TrainingSteps.Step{TParams, TModelState, TBatch}"/> (clip, Adam and
    /// a parameter average), the batches collated by a <see cref="BatchLoader"/> with 2 workers.
    /// </summary>
    static ScalarRacePart TrainingPart(string name)
    {
        var model = TitleModelFor(20);
        var random = new Random(21);
        var pairs = Enumerable.Range(0, 6).Select(_ => new EncodedTitlePair(
            Enumerable.Range(0, random.Next(3, 13)).Select(_ => random.Next(4, TitleVocabulary)).ToArray(),
            Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(4, TitleVocabulary)).ToArray())).ToArray();
        var plan = TitleBatches.Plan(pairs, 2, 1, 0);
        var loss = TitleModelLoss.Of(TinyTitles);
        var optimizer = new Chain(new ClipByGlobalNorm(1.0), Optimizer.Adam(1e-2), new ParameterEma(0.9, BiasCorrection: true));
        var start = TrainState.Init(model, NoState.Value, optimizer, 22);

        double Run() => Scoped(() =>
        {
            var total = 0.0;
            var state = start;
            foreach (var batch in BatchLoader.Load(plan, indices => TitleBatches.Collate(indices.Select(i => pairs[i]).ToArray(), 1), 2, 2, 0, CancellationToken.None))
            {
                using (batch)
                {
                    var step = TrainingSteps.Step(loss, optimizer, state, batch);
                    total += step.Metrics[TrainingSteps.LossName] + step.Metrics[TitleModelLoss.AccuracyName];
                    state = step.State;
                }
            }
            return total + Checksum(Tree.Leaves(state.Parameters));
        });

        return new ScalarRacePart(name, Run, () =>
        {
            TrainState.Dispose(start);
            Tree.Dispose(model);
        });
    }
}
