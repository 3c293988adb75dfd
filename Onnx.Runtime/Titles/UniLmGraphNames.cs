namespace Functional.Inference.Titles;

/// <summary>
/// The inputs and outputs of an exported UniLM title model's two graphs, shared by the export and the runtime (one
/// source of truth). The prefix graph (<see cref="TitleModelManifest.EncoderFile"/>) reads <see cref="Article"/> and gives
/// the prepared article (<see cref="ArticleNames"/>) and the first cache (<see cref="CacheNames"/>); the step graph
/// (<see cref="TitleModelManifest.DecoderStepFile"/>) reads the prepared article (one row per article), the cache, the rows
/// of each that every hypothesis reads (<see cref="ArticleRows"/>, <see cref="CacheRows"/>), <see cref="Previous"/> and
/// <see cref="Offset"/>, and gives <see cref="LogProbabilities"/>, <see cref="Source"/> and the next cache
/// (<see cref="NextCacheNames"/>, in the order of <see cref="CacheNames"/>).
/// </summary>
public static class UniLmGraphNames
{
    /// <summary>The prefix graph's input: int64 [batch, length], the articles' ids suffix-padded with 0.</summary>
    public const string Article = "article";

    /// <summary>
    /// The prepared article, one row per article (the step selects one row per hypothesis by <see cref="ArticleRows"/>): <c>memory</c> float32
    /// [batch, length, width] (the last block's outputs at the article slots), <c>articleMask</c> Bool [batch, length],
    /// <c>ids</c> int64 [batch, length] (0 at padding), <c>known</c> Bool [batch, length] (false where the id is Unknown),
    /// <c>prior</c> float32 [batch, vocabulary] (the copy prior) and <c>lengths</c> int64 [batch] (real characters).
    /// </summary>
    public static readonly IReadOnlyList<string> ArticleNames = ["memory", "articleMask", "ids", "known", "prior", "lengths"];

    /// <summary>The step's input: int64 [rows], the article (a row of the prepared article) each hypothesis reads.</summary>
    public const string ArticleRows = "articleRows";

    /// <summary>
    /// The step's input: int64 [rows], the row of the given cache each hypothesis extends: its article at the first step
    /// (the prefix graph's cache), its parent among the previous step's rows after it (the previous step's cache).
    /// </summary>
    public const string CacheRows = "cacheRows";

    /// <summary>The step's input: int64 [rows], the character each hypothesis appends (the start, "[SEP]", first).</summary>
    public const string Previous = "previous";

    /// <summary>The step's input: int64 [1], how many title characters precede this one (0 at the start).</summary>
    public const string Offset = "offset";

    /// <summary>The step's output: float32 [rows, vocabulary], the next character's log-probabilities.</summary>
    public const string LogProbabilities = "logProbabilities";

    /// <summary>The step's output: int64 [rows], the most attended article position holding an Unknown (−1 when none).</summary>
    public const string Source = "source";

    /// <summary>The cached slots' mask: Bool [rows, slots], shared by every block.</summary>
    public const string CacheMask = "cacheMask";

    /// <summary>The extended slots' mask the step returns: Bool [rows, slots + 1].</summary>
    public const string NextCacheMask = "nextMask";

    /// <summary>Block <paramref name="block"/>'s cached keys: float32 [rows, heads, slots, headWidth], after the rotary rotation.</summary>
    public static string CacheKeys(int block) => $"cache/{block}/keys";

    /// <summary>Block <paramref name="block"/>'s cached values: float32 [rows, heads, slots, headWidth].</summary>
    public static string CacheValues(int block) => $"cache/{block}/values";

    /// <summary>The cache of <paramref name="blocks"/> blocks as the prefix graph gives it and the step reads it: keys and values per block, then the mask.</summary>
    public static string[] CacheNames(int blocks) =>
        [.. Enumerable.Range(0, blocks).SelectMany(k => new[] { CacheKeys(k), CacheValues(k) }), CacheMask];

    /// <summary>The extended cache the step gives, in the order of <see cref="CacheNames"/> (each becomes that name at the next step).</summary>
    public static string[] NextCacheNames(int blocks) =>
        [.. Enumerable.Range(0, blocks).SelectMany(k => new[] { $"next/{k}/keys", $"next/{k}/values" }), NextCacheMask];
}
