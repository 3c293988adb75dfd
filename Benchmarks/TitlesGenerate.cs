using System.Diagnostics;
using System.Globalization;
using Functional.Models.Text;
using Functional.Models.Titles;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// <c>titles-generate [count] [beam] [batch] [model folder] [threads]</c>: titles for the first <c>count</c> (1,000) articles of the
/// LCSTS validation file with beam <c>beam</c> (4), batched and streamed (<see cref="BatchedGeneration"/>, <c>batch</c>
/// articles at a time, 32) against one at a time (<see cref="TitleGenerator.Generate"/>, what <c>titles generate --file</c>
/// did before): checks the titles are identical and reports both times, the ratio and the load average. Uses the model
/// the CLI trained (runs/titles) when there is one, else a freshly initialised model (and says which). With
/// <c>threads</c>, libtorch runs that many threads (default: its own choice).
/// </summary>
public static class TitlesGenerate
{
    /// <summary>Runs the comparison; 0 when the titles agree, 1 when one differs.</summary>
    public static int Run(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var width = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        var batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : BatchedGeneration.DefaultBatch;
        var folder = args.Length > 3 ? args[3] : "runs/titles";
        if (args.Length > 4) torch.set_num_threads(int.Parse(args[4], CultureInfo.InvariantCulture));
        var data = "../shared/data/lcsts-part2-clge";
        var articles = ChineseTitleCorpus.Load(data, Split.Validation).Take(count).Select(p => p.Content).ToArray();
        TrainedTitleModel model;
        string which;
        if (File.Exists(Path.Combine(folder, "model.safetensors")))
        {
            model = TrainedTitleModel.Load(folder, torch.CPU);
            which = $"the model trained by the CLI in {Path.GetFullPath(folder)}";
        }
        else
        {
            var train = ChineseTitleCorpus.Load(data, Split.Train);
            var vocabulary = CharacterVocabulary.Build(train.SelectMany(p => new[] { p.Title, p.Content }), TitleTrainingOptions.Default.MinCount);
            using var generator = new torch.Generator(1, torch.CPU);
            model = new TrainedTitleModel(TitleModel.Init(generator, vocabulary.Size, TitleModelOptions.Default, torch.CPU), vocabulary, TitleModelOptions.Default);
            which = $"a freshly initialised model (no {Path.Combine(folder, "model.safetensors")}; train one with 'titles train')";
        }
        var options = BeamSearchOptions.Default with { Width = width };
        Console.WriteLine($"titles-generate: {articles.Length} LCSTS validation articles, beam {width}, {batch} articles per batch, {which}");
        Console.WriteLine($"torch threads: {torch.get_num_threads()}; load before: {Load()}");

        var clock = Stopwatch.StartNew();
        var batched = BatchedGeneration.Generate(model, articles, options, batch, null).Select(t => t.Title?.Title).ToArray();
        var batchedTime = clock.Elapsed;
        Console.WriteLine($"batched:         {batchedTime.TotalSeconds,7:F1} s  ({articles.Length / batchedTime.TotalSeconds:F1} articles/s); load: {Load()}");

        clock.Restart();
        var alone = articles.Select(a => TitleGenerator.Generate(model, a, options).Title).ToArray();
        var aloneTime = clock.Elapsed;
        Console.WriteLine($"one at a time:   {aloneTime.TotalSeconds,7:F1} s  ({articles.Length / aloneTime.TotalSeconds:F1} articles/s); load: {Load()}");

        var differing = Enumerable.Range(0, articles.Length).Where(i => batched[i] != alone[i]).ToArray();
        Console.WriteLine($"ratio (one at a time / batched): {aloneTime / batchedTime:F2}x");
        Console.WriteLine(differing.Length == 0
            ? $"titles identical: all {articles.Length}"
            : $"titles DIFFER for {differing.Length} articles, first at {differing[0]}: '{batched[differing[0]]}' vs '{alone[differing[0]]}'");
        return differing.Length == 0 ? 0 : 1;
    }

    static string Load() => File.ReadAllText("/proc/loadavg").Trim();
}
