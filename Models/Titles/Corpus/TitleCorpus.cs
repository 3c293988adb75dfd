using System.Security.Cryptography;

namespace Functional.Models.Titles;

/// <summary>
/// A corpus of (title, article) pairs for training and scoring the title model: anyone's data, as TSV
/// (<c>title&lt;TAB&gt;content</c>) or JSON lines, from a folder (<c>train.tsv</c> or <c>train.jsonl</c>, and optionally
/// <c>val.tsv</c> or <c>val.jsonl</c>) or a single file.
/// </summary>
/// <param name="Train">The training pairs, in file order.</param>
/// <param name="Validation">The validation pairs: the validation file's, or those held out of the training file.</param>
/// <param name="Report">What was read and how it was split.</param>
public sealed record TitleCorpus(IReadOnlyList<TitlePair> Train, IReadOnlyList<TitlePair> Validation, TitleCorpusReport Report)
{
    /// <summary>The training file names looked for in a folder, in order.</summary>
    public static readonly IReadOnlyList<string> TrainFiles = ["train.tsv", "train.jsonl", "train.json"];

    /// <summary>The validation file names looked for in a folder, in order.</summary>
    public static readonly IReadOnlyList<string> ValidationFiles = ["val.tsv", "val.jsonl", "val.json", "validation.tsv", "validation.jsonl"];

    /// <summary>
    /// Reads the corpus at <paramref name="path"/>. The published LCSTS part II files are recognised by their SHA-256 and
    /// read by <see cref="ChineseTitleCorpus"/>; any other file is checked line by line (blank lines and a UTF-8
    /// byte-order mark are fine; empty articles are skipped and duplicates kept, both counted). Without a validation file
    /// a deterministic share is held out (<see cref="TitleCorpusOptions.HeldOut"/>): the articles with the lowest hash, so
    /// the split does not depend on line order and every copy of an article lands on the same side.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path, or a folder's training file, is missing.</exception>
    /// <exception cref="InvalidDataException">A line is malformed (the message names file, line and problem), or there are too few pairs.</exception>
    public static TitleCorpus Load(string path, TitleCorpusOptions options)
    {
        options.Validate();
        string trainPath;
        string? validationPath = null;
        if (Directory.Exists(path))
        {
            trainPath = TrainFiles.Select(name => Path.Combine(path, name)).FirstOrDefault(File.Exists)
                        ?? throw new FileNotFoundException($"The corpus folder {path} has no training file: give {string.Join(" or ", TrainFiles)} (and optionally {string.Join(" or ", ValidationFiles)}), or pass a single file.", Path.Combine(path, TrainFiles[0]));
            validationPath = ValidationFiles.Select(name => Path.Combine(path, name)).FirstOrDefault(File.Exists);
        }
        else if (File.Exists(path)) trainPath = path;
        else
            throw new FileNotFoundException(
                $"No corpus at {path}: pass a folder with train.tsv (+ val.tsv) or train.jsonl (+ val.jsonl), or a single .tsv or .jsonl file. " +
                $"The default is LCSTS part II, which is not distributed with this project ({ChineseTitleCorpus.Origin})", path);

        if (validationPath is not null && Published(trainPath) == Split.Train && Published(validationPath) == Split.Validation)
        {
            var folder = Path.GetDirectoryName(trainPath)!;
            var train = ChineseTitleCorpus.Load(folder, Split.Train);
            var validation = ChineseTitleCorpus.Load(folder, Split.Validation);
            return new TitleCorpus(train, validation, new TitleCorpusReport(PublishedReport(trainPath, train, Split.Train), PublishedReport(validationPath, validation, Split.Validation), 0));
        }

        var (pairs, trainReport) = Read(trainPath, options);
        if (validationPath is not null)
        {
            var (validation, validationReport) = Read(validationPath, options);
            if (pairs.Count == 0) throw new InvalidDataException($"{trainPath} has no pairs to train on.");
            if (validation.Count == 0) throw new InvalidDataException($"{validationPath} has no pairs to validate on.");
            return new TitleCorpus(pairs, validation, new TitleCorpusReport(trainReport, validationReport, 0));
        }
        var heldOut = options.HeldOut(pairs.Count);
        if (heldOut == 0)
            throw new InvalidDataException($"{trainPath} has {pairs.Count} pair{(pairs.Count == 1 ? "" : "s")}: at least 2 are needed (one to train on, one held out for validation), or give a validation file.");
        var held = HeldOutArticles(pairs, heldOut);
        var trainPairs = pairs.Where(p => !held.Contains(p.Content)).ToArray();
        var validationPairs = pairs.Where(p => held.Contains(p.Content)).ToArray();
        return new TitleCorpus(trainPairs, validationPairs, new TitleCorpusReport(trainReport, null, validationPairs.Length));
    }

    static (IReadOnlyList<TitlePair>, TitleCorpusFileReport) Read(string path, TitleCorpusOptions options)
    {
        var (pairs, report) = TitleCorpusFile.Read(path, options);
        return (pairs, Published(path) is { } split ? report with { Published = PublishedName(split) } : report);
    }

    /// <summary>The articles held out: those with the lowest hash, until they cover <paramref name="count"/> pairs.</summary>
    static HashSet<string> HeldOutArticles(IReadOnlyList<TitlePair> pairs, int count)
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        var covered = 0;
        foreach (var group in pairs.GroupBy(p => p.Content, StringComparer.Ordinal).OrderBy(g => Hash(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            if (covered >= count) break;
            held.Add(group.Key);
            covered += group.Count();
        }
        return held;
    }

    /// <summary>FNV-1a over the UTF-16 code units: the same on every run and platform (string.GetHashCode is randomised).</summary>
    static ulong Hash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text) hash = (hash ^ c) * 1099511628211UL;
        return hash;
    }

    /// <summary>Which published LCSTS split the file is, by SHA-256 (read streaming), or null.</summary>
    static Split? Published(string path)
    {
        using var stream = File.OpenRead(path);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
        foreach (var split in new[] { Split.Train, Split.Validation })
            if (ChineseTitleCorpus.Describe(split).Sha256 == sha256) return split;
        return null;
    }

    static string PublishedName(Split split) => $"LCSTS part II {ChineseTitleCorpus.Describe(split).File} (the published file, SHA-256 verified)";

    static TitleCorpusFileReport PublishedReport(string path, IReadOnlyList<TitlePair> pairs, Split split) =>
        new(path, TitleCorpusFormat.Tsv, pairs.Count, pairs.Count, 0, 0, pairs.Count - pairs.Distinct().Count(), PublishedName(split));
}
