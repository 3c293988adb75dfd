using System.Diagnostics;
using System.Globalization;
using Functional.Models.Titles;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// <c>titles-decode [--rounds 7] [--threads N] [--articles 4] [--beam 4] [--min 20] [--max 24] [--model FOLDER]</c>:
/// beam search with incremental decoding (<see cref="BeamSearch.Decode"/>) beside the same search re-running the
/// decoder over every beam's prefix and re-running the whole model (<see cref="BeamSearch.DecodeByRerunningPrefix"/>),
/// one article at a time, in alternating rounds in one process; prints the medians, the speed-ups and whether titles
/// and scores agree. The model is the race's random one (vocabulary 3205, default options) with random articles of 60
/// to 100 ids, or the trained model in <c>FOLDER</c> with random articles from its vocabulary.
/// </summary>
public static class TitlesDecode
{
    /// <summary>Runs the comparison; 0 when all paths give the same titles, 1 otherwise.</summary>
    public static int Run(string[] args)
    {
        var options = new Arguments(args);
        var rounds = options.Integer("rounds", 7);
        var threads = options.Integer("threads", 0);
        var count = options.Integer("articles", 4);
        var beam = new BeamSearchOptions(options.Integer("beam", 4), options.Integer("min", 20), options.Integer("max", 24), false);
        var folder = options.Text("model", "");
        options.CheckAllUsed();
        if (threads > 0) torch.set_num_threads(threads);
        TitleModelParams parameters;
        int vocabulary;
        if (folder.Length > 0)
        {
            var model = TrainedTitleModel.Load(folder, torch.CPU);
            (parameters, vocabulary) = (model.Parameters, model.Vocabulary.Size);
        }
        else
        {
            using var generator = new torch.Generator(TitlesRace.Seed);
            (parameters, vocabulary) = (TitleModel.Init(generator, TitlesRace.Vocabulary, TitleModelOptions.Default with { Dropout = 0 }, torch.CPU), TitlesRace.Vocabulary);
        }
        var random = new Random(TitlesRace.Seed);
        var articles = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, random.Next(60, 101)).Select(_ => random.Next(4, vocabulary)).ToArray()).ToArray();
        Console.WriteLine($"titles-decode: {count} articles one at a time, beam {beam.Width}, titles of {beam.MinLength}-{beam.MaxLength} characters, vocabulary {vocabulary}, "
            + $"{(folder.Length > 0 ? $"the model in {folder}" : "a random model")}, {torch.get_num_threads()} torch thread(s), median of {rounds} rounds; load: {Load()}");

        var paths = new (string Name, Func<int[], DecodedTitle> Decode)[]
        {
            ("incremental", a => BeamSearch.Decode(parameters, a, beam)),
            ("re-running the decoder", a => BeamSearch.DecodeByRerunningPrefix(parameters, a, beam, PrefixRerun.DecoderOnly)),
            ("re-running the whole model", a => BeamSearch.DecodeByRerunningPrefix(parameters, a, beam, PrefixRerun.WholeModel)),
        };
        // What every path does once per article: its encoding (not a search; shown for scale).
        var encode = () => { foreach (var article in articles) { using var scope = torch.NewDisposeScope(); TitleGeneration.Encode(parameters, [article]); } };
        var results = paths.Select(path => articles.Select(path.Decode).ToArray()).ToArray();
        var same = results.All(r => r.Zip(results[0], (x, y) => x.Ids.SequenceEqual(y.Ids) && Math.Abs(x.Score - y.Score) < 1e-3).All(b => b));
        var times = paths.Select(_ => new double[rounds]).ToArray();
        var encodeTimes = new double[rounds];
        for (var round = 0; round < rounds; round++)
        {
            for (var p = 0; p < paths.Length; p++)
            {
                var watch = Stopwatch.StartNew();
                foreach (var article in articles) paths[p].Decode(article);
                times[p][round] = watch.Elapsed.TotalMilliseconds;
            }
            var clock = Stopwatch.StartNew();
            encode();
            encodeTimes[round] = clock.Elapsed.TotalMilliseconds;
        }
        var medians = times.Select(t => t.Order().ElementAt(rounds / 2)).ToArray();
        for (var p = 0; p < paths.Length; p++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{paths[p].Name,-28} {medians[p],8:F1} ms  {medians[p] / medians[0],6:F2}x the incremental time"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"(encoding the articles only)",-28} {encodeTimes.Order().ElementAt(rounds / 2),8:F1} ms"));
        Console.WriteLine($"same titles and scores on every path: {same}; load after: {Load()}");
        return same ? 0 : 1;
    }

    static string Load() => File.ReadAllText("/proc/loadavg").Trim();
}
