using System.Text.Json;

namespace Functional.Training;

/// <summary>
/// The one JSON form of the files a run writes (<c>metrics.jsonl</c>, checkpoint manifests, the best-checkpoint
/// manifest, option files): camelCase property names (<c>step</c>, <c>sha256</c>, <c>learningRate</c>), the casing of
/// JSON as read by Python, jq and JavaScript, and of the metrics log users already parse. Reading ignores case, so
/// files written before the casing was unified (PascalCase manifests: <c>Step</c>, <c>Sha256</c>) still read.
/// Dictionary keys (metric names) are kept as given.
/// </summary>
public static class RunJson
{
    /// <summary>camelCase on write, any case on read, one object per line.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
    };

    /// <summary>As <see cref="Options"/>, indented (for files people open: option files, manifests of best checkpoints).</summary>
    public static JsonSerializerOptions Indented { get; } = new(Options) { WriteIndented = true };
}
