using Functional.Models.Text;
namespace Functional.Models.Evaluation;

/// <summary>The "lead" baseline of title generation: the first characters of the article.</summary>
public static class LeadBaseline
{
    /// <summary>The usual lead length on LCSTS: 18 characters (lead-18, the baseline the title model is compared with).</summary>
    public const int DefaultLength = 18;

    /// <summary>The first <paramref name="length"/> characters of <paramref name="content"/> (white space dropped).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is below 1.</exception>
    public static string Title(string content, int length) =>
        length >= 1
            ? string.Concat(Characters.Of(content).Take(length))
            : throw new ArgumentOutOfRangeException(nameof(length), length, "The lead length must be at least 1.");
}
