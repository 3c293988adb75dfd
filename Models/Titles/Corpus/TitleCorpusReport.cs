using System.Globalization;

namespace Functional.Models.Titles;

/// <summary>What was read from one corpus file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Format">How it was read (<see cref="TitleCorpusFormat.Tsv"/> or <see cref="TitleCorpusFormat.JsonLines"/>).</param>
/// <param name="Lines">Lines in the file.</param>
/// <param name="Pairs">Pairs kept.</param>
/// <param name="BlankLines">Empty or white-space lines, skipped.</param>
/// <param name="EmptyContents">Pairs whose article is empty or white space, skipped (there is nothing to title).</param>
/// <param name="Duplicates">Pairs equal to an earlier pair of the file (kept, as published corpora keep them).</param>
/// <param name="Published">The name of the published data set the file is (by SHA-256), or null.</param>
public sealed record TitleCorpusFileReport(
    string Path, TitleCorpusFormat Format, int Lines, int Pairs, int BlankLines, int EmptyContents, int Duplicates, string? Published)
{
    /// <summary>One line: the file, what it is, and the counts.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Path}: {(Published is null ? Format == TitleCorpusFormat.Tsv ? "TSV" : "JSON lines" : Published)}, {Pairs} pairs from {Lines} lines; " +
        $"{BlankLines} blank lines and {EmptyContents} empty articles skipped, {Duplicates} duplicate pairs kept");
}

/// <summary>What <see cref="TitleCorpus.Load"/> read and how it split it.</summary>
/// <param name="Train">The training file's report.</param>
/// <param name="Validation">The validation file's report, or null when the validation pairs were held out of the training file.</param>
/// <param name="HeldOut">Pairs held out of the training file for validation (0 with a validation file).</param>
public sealed record TitleCorpusReport(TitleCorpusFileReport Train, TitleCorpusFileReport? Validation, int HeldOut)
{
    /// <summary>Lines for a person: each file, then the split.</summary>
    public string Describe() =>
        Train.Describe() + "\n" +
        (Validation is { } validation
            ? validation.Describe()
            : string.Create(CultureInfo.InvariantCulture, $"no validation file: {HeldOut} pairs held out for validation (by a hash of the article: duplicates stay on one side, the same pairs on every run)"));
}
