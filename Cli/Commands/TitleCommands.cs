using System.Globalization;
using Functional.Core;
using TorchSharp;
using Functional.Models.Evaluation;
using Functional.Models.Titles;
using Functional.Reporting;

namespace Functional.Cli;

/// <summary>The <c>titles</c> commands: train, generate, eval and attention.</summary>
public sealed class TitleCommands : ICommandFamily
{
    /// <inheritdoc />
    public string Name => "titles";

    /// <inheritdoc />
    public string Usage => """
          titles baseline
                   character ROUGE of the lead baseline (the first N characters of each article) on LCSTS
                   --data DIR (../shared/data/lcsts-part2-clge)  --split train|validation (validation)  --lead N (18)
          titles train
                   train the seq2seq title model (resumes a run in --out; the best model by validation ROUGE-L is kept)
                   --data DIR (../shared/data/lcsts-part2-clge)  --out DIR (runs/titles)  --minutes X (30, 0: no budget)
                   --epochs N (10)  --batch N (32)  --learning-rate X (0.003)  --warmup N (50)  --clip X (1)
                   --min-count N (5)  --val-subset N (200)  --seed N (1)  --threads N (0: libtorch default)
                   --ema X (0: off; else validate and keep an average of the weights with this decay)  --workers N (2)
                   --embedding N (128)  --encoder-hidden N (64)  --encoder-layers N (1)  --decoder-hidden N (128)  --decoder-layers N (1)
                   --output-hidden N (128)  --dropout X (0)  --max-article N (100)  --max-title N (40)
                   --device NAME (cpu; cuda, cuda:N where libtorch sees a GPU)
          titles generate
                   --model DIR (runs/titles)  --text TEXT | --file FILE (one article per line)  --beam N (4)
                   --min-length N (1)  --max-length N (40)  --normalize yes|no (yes: rank by score per token)  --article-only yes|no (no)
                   --no-repeat N (1: no character twice; 0: off; N: no n-gram of N characters twice)  --device NAME (cpu)
          titles eval
                   ROUGE of greedy and beam titles beside the lead baseline on the validation pairs
                   --model DIR (runs/titles)  --data DIR (../shared/data/lcsts-part2-clge)  --beam N (4, 0: greedy only)
                   --count N (0: all)  --lead N (18)  --min-length N (1)  --normalize yes|no (yes)  --article-only yes|no (no)
                   --no-repeat N (1)  --device NAME (cpu)
          titles attention
                   attention heat map (PNG) of the title generated for one article
                   --model DIR (runs/titles)  --text TEXT  --out FILE (runs/titles/attention.png)  --beam N (4)  --device NAME (cpu)
        """;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Func<Arguments, int>> Commands { get; } = new Dictionary<string, Func<Arguments, int>>
    {
            ["baseline"] = Baseline,
            ["train"] = Train,
            ["generate"] = Generate,
            ["eval"] = Evaluate,
            ["attention"] = Attention,
    };

    const string DefaultModel = "runs/titles";

    /// <summary>Trains the title model (resuming a run in the out directory) and prints validation ROUGE.</summary>
    public static int Train(Arguments arguments)
    {
        var d = TitleTrainingOptions.Default;
        var m = d.Model;
        var model = new TitleModelOptions(
            arguments.Integer("embedding", m.EmbeddingSize), arguments.Integer("encoder-hidden", m.EncoderHidden),
            arguments.Integer("encoder-layers", m.EncoderLayers), arguments.Integer("decoder-hidden", m.DecoderHidden),
            arguments.Integer("decoder-layers", m.DecoderLayers), arguments.Integer("output-hidden", m.OutputHidden),
            arguments.Number("dropout", m.Dropout), arguments.Integer("max-article", m.MaxArticleLength), arguments.Integer("max-title", m.MaxTitleLength)).Validate();
        var options = new TitleTrainingOptions(
            arguments.Text("data", d.DataDirectory), arguments.Text("out", d.OutDirectory), model, arguments.Integer("min-count", d.MinCount),
            arguments.Integer("epochs", d.Epochs), arguments.Integer("batch", d.BatchSize), arguments.Number("learning-rate", d.LearningRate),
            arguments.Integer("warmup", d.WarmupSteps), arguments.Number("clip", d.ClipNorm), arguments.Number("minutes", d.Minutes),
            arguments.Integer("val-subset", d.ValidationSubset), arguments.Integer("seed", d.Seed), arguments.Integer("threads", d.Threads))
            { Ema = arguments.Number("ema", d.Ema), Workers = arguments.Integer("workers", d.Workers), Device = arguments.Device() };
        arguments.CheckAllUsed();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        using var progress = ProgressObserver.Console();
        var chart = new LossChartObserver(Path.Combine(options.OutDirectory, "loss.png"), TitleTraining.MetricsLogPath(options.OutDirectory));
        TitleTraining.Run(options, Console.Out, [progress, chart], cancel.Token);
        Console.WriteLine($"wrote the model to {options.OutDirectory} (model.safetensors, vocabulary.txt), the loss chart to {Path.Combine(options.OutDirectory, "loss.png")}");
        return 0;
    }

    /// <summary>Prints a title for <c>--text</c>, or one title per non-empty line of <c>--file</c>.</summary>
    public static int Generate(Arguments arguments)
    {
        var model = TrainedTitleModel.Load(arguments.Text("model", DefaultModel), arguments.Device());
        var text = arguments.Text("text", "");
        var file = arguments.Text("file", "");
        var beam = Beam(arguments);
        arguments.CheckAllUsed();
        if ((text.Length > 0) == (file.Length > 0)) throw new ArgumentException("Give exactly one of --text TEXT or --file FILE.");
        if (text.Length > 0)
        {
            Print(TitleGenerator.Generate(model, text, beam), model);
            return 0;
        }
        var failures = 0;
        foreach (var (line, number) in File.ReadLines(file).Select((line, i) => (line, i + 1)))
        {
            try { Print(TitleGenerator.Generate(model, line, beam), model); }
            catch (ArgumentException error)
            {
                Console.Error.WriteLine($"{file} line {number}: {error.Message}");
                Console.WriteLine();
                failures++;
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Prints character ROUGE of the model (greedy and/or beam) beside the lead baseline on a split.</summary>
    public static int Evaluate(Arguments arguments)
    {
        var model = TrainedTitleModel.Load(arguments.Text("model", DefaultModel), arguments.Device());
        var data = arguments.Text("data", TitleTrainingOptions.Default.DataDirectory);
        var width = arguments.Integer("beam", 4);
        var count = arguments.Integer("count", 0);
        var lead = arguments.Integer("lead", 18);
        var minLength = arguments.Integer("min-length", TitleEvaluationOptions.Default.MinLength);
        var normalize = YesNo(arguments, "normalize", BeamSearchOptions.Default.NormalizeByLength);
        var copyOnly = YesNo(arguments, "article-only");
        var noRepeat = arguments.Integer("no-repeat", TitleEvaluationOptions.Default.NoRepeatNgram);
        arguments.CheckAllUsed();
        var evaluation = TitleEvaluationOptions.Default with { MinLength = minLength, NormalizeByLength = normalize, ArticleCharactersOnly = copyOnly, NoRepeatNgram = noRepeat };
        var pairs = ChineseTitleCorpus.Load(data, Split.Validation);
        if (count > 0) pairs = pairs.Take(count).ToArray();
        Report($"lead-{lead}", TitleEvaluation.Lead(pairs, lead), pairs.Count);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Report("greedy", TitleEvaluation.Score(model, pairs, evaluation), pairs.Count, clock);
        if (width > 0)
        {
            clock.Restart();
            Report($"beam {width}{(normalize ? " (per token)" : "")}{(copyOnly ? " (article characters only)" : "")}", TitleEvaluation.Score(model, pairs, evaluation with { BeamWidth = width }), pairs.Count, clock);
        }
        return 0;
    }

    /// <summary>Writes the attention heat map (title characters by article characters) of one article's generated title as a PNG.</summary>
    public static int Attention(Arguments arguments)
    {
        var model = TrainedTitleModel.Load(arguments.Text("model", DefaultModel), arguments.Device());
        var text = arguments.Text("text", "") is { Length: > 0 } given ? given : throw new ArgumentException("--text is required.");
        var output = arguments.Text("out", Path.Combine(DefaultModel, "attention.png"));
        var beam = Beam(arguments);
        arguments.CheckAllUsed();
        var title = TitleGenerator.Generate(model, text, beam);
        var article = TitleGenerator.EncodeArticle(model, text).Take(model.Options.MaxArticleLength).ToArray();
        var weights = TitleAttention.Weights(model.Parameters, article, title.Decoded.Ids);
        var articleLabels = article.Select(id => model.Vocabulary.Decode([id])).ToArray();
        var titleLabels = title.Decoded.Ids.Select(id => model.Vocabulary.Decode([id])).Append("</s>").ToArray();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        Charts.Heatmap(output, $"Attention: {title.Title}", weights, titleLabels, articleLabels);
        Console.WriteLine($"{title.Title}\nwrote {output} ({titleLabels.Length} title steps x {articleLabels.Length} article characters)");
        return 0;
    }

    static BeamSearchOptions Beam(Arguments arguments)
    {
        var d = BeamSearchOptions.Default;
        return new BeamSearchOptions(arguments.Integer("beam", d.Width), arguments.Integer("min-length", d.MinLength),
            arguments.Integer("max-length", d.MaxLength), YesNo(arguments, "normalize", d.NormalizeByLength))
        { ArticleCharactersOnly = YesNo(arguments, "article-only"), NoRepeatNgram = arguments.Integer("no-repeat", d.NoRepeatNgram) }.Validate();
    }

    static bool YesNo(Arguments arguments, string name, bool byDefault = false) => arguments.Text(name, byDefault ? "yes" : "no") switch
    {
        "yes" => true,
        "no" => false,
        var other => throw new ArgumentException($"--{name} must be yes or no, got '{other}'."),
    };

    static void Print(GeneratedTitle title, TrainedTitleModel model)
    {
        Console.WriteLine(title.Title);
        if (title.UsedCharacters < title.ArticleCharacters)
            Console.Error.WriteLine($"(the article has {title.ArticleCharacters} characters; the model read the first {model.Options.MaxArticleLength})");
    }

    static void Report(string name, RougeScores scores, int count, System.Diagnostics.Stopwatch? clock = null) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-8} on {count} validation pairs: ROUGE-1 {scores.Rouge1:F4}  ROUGE-2 {scores.Rouge2:F4}  ROUGE-L {scores.RougeL:F4}{(clock is null ? "" : $"  ({clock.Elapsed.TotalSeconds:F1} s)")}"));

    /// <summary>Prints the lead baseline's ROUGE on a split.</summary>
    public static int Baseline(Arguments arguments)
    {
        var directory = arguments.Text("data", "../shared/data/lcsts-part2-clge");
        var split = arguments.Text("split", "validation") switch
        {
            "train" => Split.Train,
            "validation" => Split.Validation,
            var other => throw new ArgumentException($"--split must be train or validation, got '{other}'."),
        };
        var lead = arguments.Integer("lead", 18);
        arguments.CheckAllUsed();
        var pairs = ChineseTitleCorpus.Load(directory, split);
        var scores = Rouge.Mean(pairs.Select(p => (LeadBaseline.Title(p.Content, lead), p.Title)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"lead-{lead} on {pairs.Count} {split} pairs: ROUGE-1 {scores.Rouge1:F4}  ROUGE-2 {scores.Rouge2:F4}  ROUGE-L {scores.RougeL:F4}"));
        return 0;
    }
}
