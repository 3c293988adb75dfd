using System.Security.Cryptography;

namespace Functional.Models.Titles;

/// <summary>Which part of a data set.</summary>
public enum Split
{
    /// <summary>The training part.</summary>
    Train,

    /// <summary>The held-out part used for validation.</summary>
    Validation,
}

/// <summary>
/// LCSTS part II as split by the CLGE benchmark: 8,666 training and 1,000 validation (title, Weibo post) pairs in
/// Chinese. The data is for research only and is not distributed with this project: it is read from a path and
/// checked against the SHA-256 of the published files.
/// </summary>
public static class ChineseTitleCorpus
{
    /// <summary>Where the data set comes from and under which terms.</summary>
    public const string Origin =
        "LCSTS (Hu, Chen, Zhu, EMNLP 2015; Intelligent Computing Research Center, HIT Shenzhen), part II as split by " +
        "CLUEbenchmark/CLGE (LGECdataset/lcsts/{train,val}.tsv at commit 2594e0d5bb98fb40e66e5d12c109d795fe0507d6). " +
        "Research and non-commercial use only; it may not be redistributed.";

    /// <summary>The file name, line count and SHA-256 of each split.</summary>
    public static (string File, int Pairs, string Sha256) Describe(Split split) => split switch
    {
        Split.Train => ("train.tsv", 8666, "56e8721b1b09884b41b535d63b14a80bd33e8883078b3d81e0fb17f75f71f1e9"),
        Split.Validation => ("val.tsv", 1000, "f82469ccde104a2a1d9686901ebf3423075f242412eabb8129e183b2e3a367b5"),
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split"),
    };

    /// <summary>The pairs of one split, in file order (duplicates included, as published).</summary>
    /// <param name="directory">The folder holding <c>train.tsv</c> and <c>val.tsv</c> (here: ../shared/data/lcsts-part2-clge).</param>
    /// <param name="split">Which file.</param>
    /// <exception cref="FileNotFoundException">The file is missing; the message says where the data comes from.</exception>
    /// <exception cref="InvalidDataException">The file is not the published one, or a line is not <c>title&lt;TAB&gt;content</c>.</exception>
    public static IReadOnlyList<TitlePair> Load(string directory, Split split)
    {
        var (file, pairs, sha256) = Describe(split);
        var path = Path.Combine(directory, file);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"LCSTS file {path} not found. Pass the folder that holds train.tsv and val.tsv (in this repository's " +
                $"environment: ../shared/data/lcsts-part2-clge). The data is not distributed with this project. Origin: {Origin}", path);
        var bytes = File.ReadAllBytes(path);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != sha256)
            throw new InvalidDataException($"{path} is not the published LCSTS {file}: its SHA-256 is {actual}, expected {sha256}.");

        var lines = System.Text.Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var result = lines.Select((line, i) =>
        {
            var fields = line.TrimEnd('\r').Split('\t');
            return fields.Length == 2 && fields[0].Length > 0 && fields[1].Length > 0
                ? new TitlePair(fields[0], fields[1])
                : throw new InvalidDataException($"{path} line {i + 1}: expected 'title<TAB>content'.");
        }).ToArray();
        if (result.Length != pairs)
            throw new InvalidDataException($"{path} has {result.Length} pairs, expected {pairs}.");
        return result;
    }
}
