using System.Diagnostics;
using System.Globalization;
using Functional.Models.Word2Vec;
using Functional.Reporting;

namespace Functional.Cli;

/// <summary>The <c>word2vec</c> commands.</summary>
public sealed class Word2VecCommands : ICommandFamily
{
    /// <inheritdoc />
    public string Name => "word2vec";

    /// <inheritdoc />
    public string Usage => """
          word2vec train
                   skip-gram with negative sampling, hand-written sparse gradients, on the Gutenberg books
                   --data DIR (../shared/data/gutenberg-nltk-en)  --out FILE (vectors.txt)  --dim N (100)  --window N (5)
                   --negatives N (5)  --min-count N (5)  --subsample X (1e-4)  --epochs N (5)  --learning-rate X (0.05)
                   --threads N (2)  --seed N (1)
          word2vec similar
                   --vectors FILE (vectors.txt)  --word WORD  --count N (10)
          word2vec eval
                   --vectors FILE (vectors.txt)  --data DIR (../shared/data/word-similarity-analogy-en)
        """;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Func<Arguments, int>> Commands { get; } = new Dictionary<string, Func<Arguments, int>>
    {
            ["train"] = Train,
            ["similar"] = Similar,
            ["eval"] = Evaluate,
    };

    /// <summary>Trains vectors on the Gutenberg books and writes them in the word2vec text format.</summary>
    public static int Train(Arguments arguments)
    {
        var d = SkipGramOptions.Default;
        var data = arguments.Text("data", "../shared/data/gutenberg-nltk-en");
        var output = arguments.Text("out", "vectors.txt");
        var options = new SkipGramOptions(
            arguments.Integer("dim", d.Dimension), arguments.Integer("window", d.Window), arguments.Integer("negatives", d.Negatives),
            arguments.Integer("min-count", d.MinimumCount), arguments.Number("subsample", d.Subsample), arguments.Integer("epochs", d.Epochs),
            arguments.Number("learning-rate", d.LearningRate), arguments.Integer("threads", d.Threads),
            arguments.Integer("seed", d.Seed)).Validated();
        arguments.CheckAllUsed();

        var words = EnglishBooksCorpus.Load(data);
        var vocabulary = WordVocabulary.Build(words, options.MinimumCount);
        var corpus = vocabulary.Encode(words);
        Say($"{words.Length:N0} words, {vocabulary.Size:N0} in the vocabulary (min count {options.MinimumCount}), {corpus.Length:N0} kept.");
        var clock = Stopwatch.StartNew();
        const int Steps = 1000;
        var bar = new ProgressBar(Steps, Console.Out, interactive: !Console.IsOutputRedirected, TimeSpan.FromSeconds(5), () => clock.Elapsed);
        var trained = SkipGramTrainer.Train(corpus, vocabulary, options, p => bar.Update((int)(p.Fraction * Steps),
            new Dictionary<string, double> { ["loss"] = p.MeanLoss },
            new Dictionary<string, double> { ["words/s"] = Math.Round(p.WordsPerSecond), ["rate"] = p.LearningRate }));
        bar.Finish();
        Say($"trained in {clock.Elapsed.TotalSeconds:F1} s: {(double)corpus.Length * options.Epochs / clock.Elapsed.TotalSeconds:N0} words/s");
        new WordVectors(vocabulary.Words, trained.Input).Save(output);
        Say($"wrote {output}");
        return 0;
    }

    /// <summary>Prints the nearest neighbours of a word.</summary>
    public static int Similar(Arguments arguments)
    {
        var vectors = WordVectors.Load(arguments.Text("vectors", "vectors.txt"));
        var word = arguments.Text("word", "") is { Length: > 0 } given ? given : throw new ArgumentException("--word is required.");
        var count = arguments.Integer("count", 10);
        arguments.CheckAllUsed();
        foreach (var neighbour in vectors.Nearest(word.ToLowerInvariant(), count)) Say($"{neighbour.Word,-20} {neighbour.Cosine:F4}");
        return 0;
    }

    /// <summary>Prints WordSim-353 Spearman correlation and analogy accuracy.</summary>
    public static int Evaluate(Arguments arguments)
    {
        var vectors = WordVectors.Load(arguments.Text("vectors", "vectors.txt"));
        var data = arguments.Text("data", "../shared/data/word-similarity-analogy-en");
        arguments.CheckAllUsed();
        var similarity = WordEmbeddingEvaluation.Similarity(vectors, Path.Combine(data, "wordsim353.tsv"));
        var analogies = WordEmbeddingEvaluation.Analogies(vectors, Path.Combine(data, "questions-words.txt"));
        Say($"WordSim-353 Spearman {similarity.Spearman:F4} on {similarity.PairsUsed} of {similarity.PairsTotal} pairs");
        Say($"analogies: accuracy {analogies.Accuracy:P2} on {analogies.Answered} of {analogies.Total} questions");
        return 0;
    }

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
