namespace Functional.Inference.Titles;

/// <summary>
/// How a title is searched for, field by field the training side's <c>BeamSearchOptions</c> (whose defaults and limits
/// the export writes into <see cref="TitleModelManifest"/>): width 1 is greedy decoding.
/// </summary>
/// <param name="Width">Beams kept per step (1: greedy).</param>
/// <param name="MinLength">The end token is forbidden before this many characters.</param>
/// <param name="MaxLength">At most this many characters; a beam reaching it stops unfinished.</param>
/// <param name="NormalizeByLength">Rank finished beams by score per token (characters + end) instead of total score.</param>
/// <param name="ArticleCharactersOnly">A title may use only characters of its article (and the end).</param>
/// <param name="NoRepeatNgram">No n-gram of this size twice in a title (1: no character twice; 0: off).</param>
public sealed record TitleDecodingOptions(int Width, int MinLength, int MaxLength, bool NormalizeByLength, bool ArticleCharactersOnly, int NoRepeatNgram)
{
    /// <summary>Throws unless the width is in [1, <see cref="TitleModelManifest.WidthLimit"/>], the maximum length in [1, <see cref="TitleModelManifest.MaxLengthLimit"/>], the minimum in [0, max] and the n-gram size 0 or more.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range; the message names it and its bounds.</exception>
    public TitleDecodingOptions Validate(TitleModelManifest limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (Width < 1 || Width > limits.WidthLimit) throw new ArgumentOutOfRangeException(nameof(Width), Width, $"The beam width must be in [1, {limits.WidthLimit}].");
        if (MaxLength < 1 || MaxLength > limits.MaxLengthLimit)
            throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, $"The maximum title length must be in [1, {limits.MaxLengthLimit}].");
        if (MinLength < 0 || MinLength > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(MinLength), MinLength, $"The minimum title length must be in [0, {MaxLength}] (the maximum).");
        if (NoRepeatNgram < 0) throw new ArgumentOutOfRangeException(nameof(NoRepeatNgram), NoRepeatNgram, "The n-gram size of repeat blocking must be 0 (off) or more.");
        return this;
    }
}
