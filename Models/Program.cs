using System.Globalization;

namespace Functional.Models;

/// <summary>The command line of the example models.</summary>
public static class Program
{
    const string Usage = """
        usage: Functional.Models <command> [--option value ...]

        commands:
          mnist    train a digit classifier on MNIST t10k with the fit loop (Adam, warm-up + cosine, EMA validation);
                   progress bar, metrics.jsonl, loss.png and checkpoints in --out; resumes from its newest checkpoint
                   --data DIR (../shared/data/mnist-t10k)  --out DIR (runs/mnist)  --epochs N (10)  --batch N (64)
                   --learning-rate X (0.002)  --hidden N (256)  --dropout X (0.2)  --ema X (0.99)  --workers N (2)  --seed N (1)
                   --checkpoint-every N (0: at epoch ends only)
          mnist accumulate
                   Adam with batch B against Accumulate(Adam, B) fed one example at a time: losses, parameter distance, chart
                   --data DIR  --batch B (100)  --updates N (30)  --out DIR (runs/mnist)
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
          titles generate
                   --model DIR (runs/titles)  --text TEXT | --file FILE (one article per line)  --beam N (4)
                   --min-length N (1)  --max-length N (40)  --normalize yes|no (yes: rank by score per token)  --article-only yes|no (no)
                   --no-repeat N (1: no character twice; 0: off; N: no n-gram of N characters twice)
          titles eval
                   ROUGE of greedy and beam titles beside the lead baseline on the validation pairs
                   --model DIR (runs/titles)  --data DIR (../shared/data/lcsts-part2-clge)  --beam N (4, 0: greedy only)
                   --count N (0: all)  --lead N (18)  --min-length N (1)  --normalize yes|no (yes)  --article-only yes|no (no)
                   --no-repeat N (1)
          titles attention
                   attention heat map (PNG) of the title generated for one article
                   --model DIR (runs/titles)  --text TEXT  --out FILE (runs/titles/attention.png)  --beam N (4)
          word2vec train
                   skip-gram with negative sampling, hand-written sparse gradients, on the Gutenberg books
                   --data DIR (../shared/data/gutenberg-nltk-en)  --out FILE (vectors.txt)  --dim N (100)  --window N (5)
                   --negatives N (5)  --min-count N (5)  --subsample X (1e-4)  --epochs N (5)  --learning-rate X (0.05)
                   --threads N (2)  --seed N (1)
          word2vec similar
                   --vectors FILE (vectors.txt)  --word WORD  --count N (10)
          word2vec eval
                   --vectors FILE (vectors.txt)  --data DIR (../shared/data/word-similarity-analogy-en)
        """ + "\n" + GanCommands.Usage;

    /// <summary>Runs the command named by the first argument; returns 0 on success, 2 on bad usage, 1 on failure.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return (args[0], args.ElementAtOrDefault(1)) switch
            {
                ("mnist", "accumulate") => MnistCommands.Accumulate(new Arguments(args[2..])),
                ("mnist", _) => MnistCommands.Train(new Arguments(args[1..])),
                ("titles", "baseline") => TitlesBaseline(new Arguments(args[2..])),
                ("titles", "train") => TitleCommands.Train(new Arguments(args[2..])),
                ("titles", "generate") => TitleCommands.Generate(new Arguments(args[2..])),
                ("titles", "eval") => TitleCommands.Evaluate(new Arguments(args[2..])),
                ("titles", "attention") => TitleCommands.Attention(new Arguments(args[2..])),
                ("word2vec", "train") => Word2VecCommands.Train(new Arguments(args[2..])),
                ("word2vec", "similar") => Word2VecCommands.Similar(new Arguments(args[2..])),
                ("word2vec", "eval") => Word2VecCommands.Evaluate(new Arguments(args[2..])),
                ("gan", "train") => GanCommands.Train(new Arguments(args[2..])),
                ("gan", "sample") => GanCommands.Sample(new Arguments(args[2..])),
                ("gan", "score") => GanCommands.Score(new Arguments(args[2..])),
                _ => throw new ArgumentException($"Unknown command '{string.Join(' ', args.Take(2))}'."),
            };
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (Exception error) when (error is IOException or InvalidDataException)
        {
            Console.Error.WriteLine(error.Message);
            return 1;
        }
    }

    static int TitlesBaseline(Arguments arguments)
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
