namespace Functional.Models.Titles;

/// <summary>How the lines of a title corpus are written.</summary>
public enum TitleCorpusFormat
{
    /// <summary>By the file's extension (<c>.jsonl</c>, <c>.json</c>, <c>.ndjson</c>: JSON lines; <c>.tsv</c>, <c>.txt</c>: TSV), else by its first non-blank line (<c>{</c>: JSON lines).</summary>
    Auto,

    /// <summary><c>title&lt;TAB&gt;content</c>, one pair a line, exactly one tab.</summary>
    Tsv,

    /// <summary>One JSON object a line with the title and content as string fields.</summary>
    JsonLines,
}

/// <summary>How <see cref="TitleCorpus.Load"/> reads a corpus and holds out validation pairs.</summary>
/// <param name="Format">The line format (<see cref="TitleCorpusFormat.Auto"/>: by extension or first line).</param>
/// <param name="TitleField">The JSON field holding the title.</param>
/// <param name="ContentField">The JSON field holding the article.</param>
/// <param name="ValidationShare">
/// Without a validation file, the share of the pairs held out for validation, in (0, 1): at least this share, and at least
/// <paramref name="MinValidationPairs"/> when that is at most a fifth of the pairs; at least 1 and never all of them.
/// </param>
/// <param name="MinValidationPairs">The fewest pairs held out when the corpus is large enough (see <paramref name="ValidationShare"/>).</param>
/// <param name="MaxLineBytes">A longer line is an error (the file is read line by line; no line above this is held in memory).</param>
public sealed record TitleCorpusOptions(
    TitleCorpusFormat Format, string TitleField, string ContentField, double ValidationShare, int MinValidationPairs, int MaxLineBytes)
{
    /// <summary>Format by extension, JSON fields <c>title</c> and <c>content</c>, 5% held out (at least 300 pairs when there are 1,500 or more), lines up to 1 MiB.</summary>
    public static TitleCorpusOptions Default { get; } = new(TitleCorpusFormat.Auto, "title", "content", 0.05, 300, 1 << 20);

    /// <summary>Throws unless the fields are named, the share is in (0, 1) and the counts are positive.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public TitleCorpusOptions Validate()
    {
        if (string.IsNullOrEmpty(TitleField)) throw new ArgumentException("The title field must be named.", nameof(TitleField));
        if (string.IsNullOrEmpty(ContentField)) throw new ArgumentException("The content field must be named.", nameof(ContentField));
        if (TitleField == ContentField) throw new ArgumentException($"The title and content fields must differ, both are '{TitleField}'.", nameof(ContentField));
        if (!(ValidationShare is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationShare), ValidationShare, "The validation share must be in (0, 1).");
        if (MinValidationPairs < 0) throw new ArgumentOutOfRangeException(nameof(MinValidationPairs), MinValidationPairs, "The fewest validation pairs must be 0 or more.");
        if (MaxLineBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxLineBytes), MaxLineBytes, "The longest line must be at least 1 byte.");
        return this;
    }

    /// <summary>How many of <paramref name="pairs"/> pairs are held out (see <see cref="ValidationShare"/>); 0 when there are fewer than 2.</summary>
    public int HeldOut(int pairs)
    {
        if (pairs < 2) return 0;
        var byShare = (int)Math.Ceiling(ValidationShare * pairs);
        var atLeast = Math.Min(MinValidationPairs, pairs / 5);
        return Math.Clamp(Math.Max(byShare, atLeast), 1, pairs - 1);
    }
}
