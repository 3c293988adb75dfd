namespace Functional.Models.Titles;

/// <summary>A decoded title.</summary>
/// <param name="Ids">The character ids, without start and end.</param>
/// <param name="UnknownSources">One per <see cref="Text.CharacterVocabulary.Unknown"/> in <paramref name="Ids"/>, in order: the
/// article position (in the ids the model read) that the step writing it attended most among the article's Unknown
/// positions, or -1 when the article has none (<see cref="DecoderStepResult.UnknownSource"/>); the text of the title
/// writes the article's character there (<see cref="Text.CharacterVocabulary.Decode(IEnumerable{int}, IReadOnlyList{int}, IReadOnlyList{string})"/>).</param>
/// <param name="Score">The sum of the log-probabilities of the chosen characters (and of the end, when it was chosen).</param>
/// <param name="Finished">Whether the title ended with the end token (false: cut at the maximum length).</param>
public sealed record DecodedTitle(int[] Ids, int[] UnknownSources, double Score, bool Finished);

/// <summary>How beam search runs.</summary>
/// <param name="Width">Beams kept per step (1 is greedy decoding).</param>
/// <param name="MinLength">The end token is forbidden before this many characters.</param>
/// <param name="MaxLength">At most this many characters; a beam reaching it stops unfinished.</param>
/// <param name="NormalizeByLength">Rank finished beams by score per token (characters + end) instead of total score.</param>
public sealed record BeamSearchOptions(int Width, int MinLength, int MaxLength, bool NormalizeByLength)
{
    /// <summary>
    /// Width 4, titles of 1 to 40 characters ranked by score per token, no character twice (on LCSTS part II, with the
    /// default model, the best of the settings tried: ROUGE-L 0.238 against 0.235 by total score, 0.221 without repeat
    /// blocking, and widths 3, 6 and 8 no better; docs/articles/titles.md).
    /// </summary>
    public static BeamSearchOptions Default { get; } = new(4, 1, 40, true) { NoRepeatNgram = 1 };

    /// <summary>
    /// The widest beam: 64. Published title and summary models decode with 3 to 10 beams, and on LCSTS widths 3, 6 and 8
    /// were no better than 4; memory and time grow linearly with the width (each beam carries its decoder state and a
    /// vocabulary-wide row of scores every step), so 64 is 16 times the default and still small, while a width of 100,000
    /// reached 5 GB in two minutes (issue 31).
    /// </summary>
    public const int WidthLimit = 64;

    /// <summary>
    /// The longest title decoded: 512 characters. Titles are 10 to 30 characters and the default stops at 40; every
    /// step of every beam costs a decoder step, so the cap bounds a decoding's time and its per-beam history.
    /// </summary>
    public const int MaxLengthLimit = 512;

    /// <summary>
    /// Copy-only decoding: a title may use only characters that occur in its article (and the end). Off by default.
    /// </summary>
    public bool ArticleCharactersOnly { get; init; }

    /// <summary>No-repeat-n-gram blocking (<see cref="RepeatBlocking"/>): a title never holds an n-gram of this size twice (0: off, the default).</summary>
    public int NoRepeatNgram { get; init; }

    /// <summary>
    /// Throws unless the width is in [1, <see cref="WidthLimit"/>], the maximum length in [1, <see cref="MaxLengthLimit"/>]
    /// and the minimum length in [0, max].
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range.</exception>
    public BeamSearchOptions Validate()
    {
        if (Width < 1 || Width > WidthLimit) throw new ArgumentOutOfRangeException(nameof(Width), Width, $"The beam width must be in [1, {WidthLimit}].");
        DecodingChecks.Lengths(MinLength, MaxLength);
        DecodingChecks.NoRepeatNgram(NoRepeatNgram);
        return this;
    }
}

/// <summary>How greedy decoding runs.</summary>
/// <param name="MinLength">The end token is forbidden before this many characters.</param>
/// <param name="MaxLength">At most this many characters.</param>
public sealed record GreedyOptions(int MinLength, int MaxLength)
{
    /// <summary>Titles of 1 to 40 characters, no repeat blocking.</summary>
    public static GreedyOptions Default { get; } = new(1, 40);

    /// <summary>No-repeat-n-gram blocking (<see cref="RepeatBlocking"/>): a title never holds an n-gram of this size twice (0: off, the default).</summary>
    public int NoRepeatNgram { get; init; }
}

/// <summary>How sampling runs: temperature, then top-k, then top-p (nucleus) filtering of each step's distribution.</summary>
/// <param name="TopK">Keep only the k most likely characters (0: all).</param>
/// <param name="TopP">Keep the smallest set of most likely characters whose probability reaches p (1: all).</param>
/// <param name="Temperature">Logits are divided by it (above 0).</param>
/// <param name="MinLength">The end token is forbidden before this many characters.</param>
/// <param name="MaxLength">At most this many characters.</param>
public sealed record SamplingOptions(int TopK, double TopP, double Temperature, int MinLength, int MaxLength)
{
    /// <summary>Top-k 10, top-p 0.9, temperature 1, titles of 1 to 40 characters.</summary>
    public static SamplingOptions Default { get; } = new(10, 0.9, 1.0, 1, 40);

    /// <summary>No-repeat-n-gram blocking (<see cref="RepeatBlocking"/>): a title never holds an n-gram of this size twice (0: off, the default).</summary>
    public int NoRepeatNgram { get; init; }

    /// <summary>Throws unless top-k ≥ 0, top-p in (0, 1], temperature above 0 and the lengths fit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range.</exception>
    public SamplingOptions Validate()
    {
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "Top-k must be 0 (off) or more.");
        if (TopP is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "Top-p must be in (0, 1].");
        if (Temperature <= 0) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "The temperature must be above 0.");
        DecodingChecks.Lengths(MinLength, MaxLength);
        DecodingChecks.NoRepeatNgram(NoRepeatNgram);
        return this;
    }
}

/// <summary>Checks shared by the decoding options.</summary>
static class DecodingChecks
{
    public static void Lengths(int minLength, int maxLength)
    {
        if (maxLength < 1 || maxLength > BeamSearchOptions.MaxLengthLimit)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"The maximum title length must be in [1, {BeamSearchOptions.MaxLengthLimit}].");
        if (minLength < 0 || minLength > maxLength)
            throw new ArgumentOutOfRangeException(nameof(minLength), minLength, $"The minimum title length must be in [0, {maxLength}] (the maximum).");
    }

    public static void NoRepeatNgram(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The n-gram size of repeat blocking must be 0 (off) or more.");
    }
}
