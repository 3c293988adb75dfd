using System.Diagnostics;
using System.Globalization;
using Functional.Cli;
using Functional.Models.Word2Vec;

namespace Functional.Benchmarks;

/// <summary>
/// A side-by-side race of skip-gram trainings on the Gutenberg books with the same settings (dimension 100,
/// window 5, 5 negatives, min count 5, t = 1e-4, 5 epochs, rate 0.05, 2 threads), one after the other on the same
/// machine: the hand-written trainer, its autodiff twin (timed on the first <c>--twin-words</c> words only: it is
/// slow by design), and fastText's skip-gram (Debian package <c>fasttext</c>, run with <c>-minn 0 -maxn 0</c>).
/// Prints words per second, the ratios and the WordSim-353 Spearman correlation of the full runs.
/// Run: <c>dotnet run --project Benchmarks -c Release -- word2vec-race</c>.
/// </summary>
public static class Word2VecRace
{
    /// <summary>Runs the race; <paramref name="arguments"/> may set <c>--data</c>, <c>--similarity</c> and <c>--epochs</c>.</summary>
    public static int Run(IReadOnlyList<string> arguments)
    {
        var options = new Arguments(arguments);
        var data = options.Text("data", "../shared/data/gutenberg-nltk-en");
        var similarityFile = options.Text("similarity", "../shared/data/word-similarity-analogy-en/wordsim353.tsv");
        var settings = SkipGramOptions.Default with { Epochs = options.Integer("epochs", SkipGramOptions.Default.Epochs) };
        var twinWords = options.Integer("twin-words", 100_000);
        var twinBatch = options.Integer("twin-batch", 256);
        options.CheckAllUsed();

        var words = EnglishBooksCorpus.Load(data);
        var vocabulary = WordVocabulary.Build(words, settings.MinimumCount);
        var corpus = vocabulary.Encode(words);
        var work = (double)words.Length * settings.Epochs;
        Say($"{words.Length:N0} words, vocabulary {vocabulary.Size:N0}; {settings}");

        var clock = Stopwatch.StartNew();
        var trained = SkipGramTrainer.Train(corpus, vocabulary, settings, _ => { });
        var ours = work / clock.Elapsed.TotalSeconds;
        var ourSimilarity = WordEmbeddingEvaluation.Similarity(new WordVectors(vocabulary.Words, trained.Input), similarityFile);
        Say($"hand-written   {ours,12:N0} words/s   WordSim-353 Spearman {ourSimilarity.Spearman:F4} ({ourSimilarity.PairsUsed} pairs)");

        clock.Restart();
        SkipGramAutodiffTrainer.Train(corpus, vocabulary, settings, twinBatch, twinWords, _ => { });
        var twin = twinWords / clock.Elapsed.TotalSeconds;
        Say($"autodiff twin  {twin,12:N0} words/s   (batches of {twinBatch}, first {twinWords:N0} words)");
        Say($"speed ratio hand-written / autodiff twin: {ours / twin:F1}x");

        var fastText = FastText(words, settings);
        if (fastText is null)
        {
            Say($"fastText       not installed (apt-get install fasttext) — no ratio");
            return 0;
        }
        var theirSimilarity = WordEmbeddingEvaluation.Similarity(WordVectors.Load(fastText.Value.Vectors), similarityFile);
        var theirs = work / fastText.Value.Seconds;
        Say($"fastText       {theirs,12:N0} words/s   WordSim-353 Spearman {theirSimilarity.Spearman:F4} ({theirSimilarity.PairsUsed} pairs)");
        Say($"speed ratio hand-written / fastText: {ours / theirs:F2}x");
        return 0;
    }

    /// <summary>Trains fastText's skip-gram on the same words; null when fastText is not installed.</summary>
    static (string Vectors, double Seconds)? FastText(string[] words, SkipGramOptions settings)
    {
        var folder = Directory.CreateTempSubdirectory("word2vec-race").FullName;
        var input = Path.Combine(folder, "corpus.txt");
        File.WriteAllText(input, string.Join(' ', words));
        var output = Path.Combine(folder, "fasttext");
        var arguments = string.Create(CultureInfo.InvariantCulture,
            $"skipgram -input {input} -output {output} -minn 0 -maxn 0 -dim {settings.Dimension} -ws {settings.Window} -neg {settings.Negatives} " +
            $"-minCount {settings.MinimumCount} -t {settings.Subsample} -epoch {settings.Epochs} -lr {settings.LearningRate} -thread {settings.Threads} -verbose 0");
        var clock = Stopwatch.StartNew();
        try
        {
            using var process = Process.Start(new ProcessStartInfo("fasttext", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"fasttext {arguments} exited with {process.ExitCode}: {process.StandardError.ReadToEnd()}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        return (output + ".vec", clock.Elapsed.TotalSeconds);
    }

    static void Say(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
