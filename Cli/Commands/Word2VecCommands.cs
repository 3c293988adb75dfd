using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Models.Word2Vec;
using Functional.Reporting;

namespace Functional.Cli;

/// <summary>The <c>word2vec</c> commands: train, similar, eval.</summary>
public sealed class Word2VecCommands : ICommandFamily
{
    /// <summary>The Gutenberg books beside this repository.</summary>
    public const string DefaultBooks = "../shared/data/gutenberg-nltk-en";

    /// <summary>WordSim-353 and the Google analogies beside this repository.</summary>
    public const string DefaultEvaluationData = "../shared/data/word-similarity-analogy-en";

    /// <summary>The vectors file written by <c>word2vec train</c> and read by <c>similar</c> and <c>eval</c>.</summary>
    public const string DefaultVectors = "vectors.txt";

    /// <summary>Neighbours printed by <c>word2vec similar</c>.</summary>
    public const int DefaultNeighbours = 10;

    /// <inheritdoc />
    public Command Build(CommandContext context) =>
        new("word2vec", "skip-gram word vectors with hand-written sparse gradients") { Train(context), Similar(context), Evaluate(context) };

    /// <summary><c>word2vec train</c>: vectors trained on the Gutenberg books, written in the word2vec text format.</summary>
    static Command Train(CommandContext context)
    {
        var d = SkipGramOptions.Default;
        var data = Flags.InputFolder("--data", DefaultBooks, "the Gutenberg books folder");
        var vectors = Flags.OutputFile("--vectors", DefaultVectors, "the vectors file written (word2vec text format)");
        var dimension = Flags.Size("--dim", d.Dimension, "vector size", Sizes.Width);
        var window = Flags.Size("--window", d.Window, "largest distance of a context word", Sizes.Window);
        var negatives = Flags.Integer("--negatives", d.Negatives, "negative samples per (centre, context) pair", 0, Sizes.Window);
        var minCount = Flags.Count("--min-count", d.MinimumCount, "words rarer than this are dropped");
        var subsample = Flags.Number("--subsample", d.Subsample, "frequent-word threshold t", Bounds.Positive);
        var epochs = Flags.Count("--epochs", d.Epochs, "passes over the corpus");
        var learningRate = Flags.Number("--learning-rate", d.LearningRate, "initial step size, decaying linearly to 0", Bounds.Positive);
        var threads = Flags.Threads(d.Threads, "workers training concurrently (results are reproducible with 1)", min: 1);
        var seed = Flags.Seed(d.Seed, "seeds initialisation and every worker's draws");
        var command = new Command("train", "skip-gram with negative sampling, hand-written sparse gradients, on the Gutenberg books")
        {
            data, vectors, dimension, window, negatives, minCount, subsample, epochs, learningRate, threads, seed,
        };
        Flags.CheckPaths(command, data, vectors);
        command.SetAction(parsed =>
        {
            var options = new SkipGramOptions(
                parsed.GetValue(dimension), parsed.GetValue(window), parsed.GetValue(negatives), parsed.GetValue(minCount), parsed.GetValue(subsample),
                parsed.GetValue(epochs), parsed.GetValue(learningRate), parsed.GetValue(threads), parsed.GetValue(seed)).Validated();
            var output = parsed.GetValue(vectors)!;
            var words = EnglishBooksCorpus.Load(parsed.GetValue(data)!);
            var vocabulary = WordVocabulary.Build(words, options.MinimumCount);
            var corpus = vocabulary.Encode(words);
            Say(context, $"{words.Length:N0} words, {vocabulary.Size:N0} in the vocabulary (min count {options.MinimumCount}), {corpus.Length:N0} kept.");
            var clock = Stopwatch.StartNew();
            const int Steps = 1000;
            var bar = new ProgressBar(Steps, context.Output, interactive: !Console.IsOutputRedirected, TimeSpan.FromSeconds(5), () => clock.Elapsed);
            var trained = SkipGramTrainer.Train(corpus, vocabulary, options, p => bar.Update((int)(p.Fraction * Steps),
                new Dictionary<string, double> { ["loss"] = p.MeanLoss },
                new Dictionary<string, double> { ["words/s"] = Math.Round(p.WordsPerSecond), ["rate"] = p.LearningRate }));
            bar.Finish();
            Say(context, $"trained in {clock.Elapsed.TotalSeconds:F1} s: {(double)corpus.Length * options.Epochs / clock.Elapsed.TotalSeconds:N0} words/s");
            if (Path.GetDirectoryName(Path.GetFullPath(output)) is { } folder) Directory.CreateDirectory(folder);
            new WordVectors(vocabulary.Words, trained.Input).Save(output);
            Say(context, $"wrote {output}");
        });
        return command;
    }

    /// <summary><c>word2vec similar</c>: the nearest neighbours of a word.</summary>
    static Command Similar(CommandContext context)
    {
        var vectors = Flags.InputFile("--vectors", DefaultVectors, "the vectors file (written by word2vec train)");
        var word = Flags.Text("--word", "the word whose neighbours are printed", required: true, helpName: "WORD");
        var count = Flags.Count("--count", DefaultNeighbours, "neighbours printed");
        var command = new Command("similar", "the nearest neighbours of a word by cosine") { vectors, word, count };
        Flags.CheckPaths(command, vectors);
        command.SetAction(parsed =>
        {
            var loaded = WordVectors.Load(parsed.GetValue(vectors)!);
            foreach (var neighbour in loaded.Nearest(parsed.GetValue(word)!.ToLowerInvariant(), parsed.GetValue(count)))
                Say(context, $"{neighbour.Word,-20} {neighbour.Cosine:F4}");
        });
        return command;
    }

    /// <summary><c>word2vec eval</c>: WordSim-353 Spearman correlation and analogy accuracy.</summary>
    static Command Evaluate(CommandContext context)
    {
        var vectors = Flags.InputFile("--vectors", DefaultVectors, "the vectors file (written by word2vec train)");
        var data = Flags.InputFolder("--data", DefaultEvaluationData, "holds wordsim353.tsv and questions-words.txt");
        var command = new Command("eval", "WordSim-353 Spearman and Google analogy accuracy of a vectors file") { vectors, data };
        Flags.CheckPaths(command, vectors, data);
        command.SetAction(parsed =>
        {
            var loaded = WordVectors.Load(parsed.GetValue(vectors)!);
            var folder = parsed.GetValue(data)!;
            var similarity = WordEmbeddingEvaluation.Similarity(loaded, Path.Combine(folder, "wordsim353.tsv"));
            var analogies = WordEmbeddingEvaluation.Analogies(loaded, Path.Combine(folder, "questions-words.txt"));
            Say(context, $"WordSim-353 Spearman {similarity.Spearman:F4} on {similarity.PairsUsed} of {similarity.PairsTotal} pairs");
            Say(context, $"analogies: accuracy {analogies.Accuracy:P2} on {analogies.Answered} of {analogies.Total} questions");
        });
        return command;
    }

    static void Say(CommandContext context, FormattableString line) => context.Output.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
