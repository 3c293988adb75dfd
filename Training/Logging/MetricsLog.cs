using System.Text.Json;
using System.Text.Json.Serialization;

namespace Functional.Training;

/// <summary>
/// One line of a metrics log, in camelCase JSON (<see cref="RunJson"/>):
/// <c>{"step":12,"epoch":0,"phase":"train","metrics":{"loss":1.9},"seconds":3.2,"time":"2026-12-07T14:02:09.1+00:00","learningRate":0.001}</c>.
/// The last three are absent from lines written before they existed, and when unknown.
/// </summary>
/// <param name="Step">The optimizer step (updates so far).</param>
/// <param name="Epoch">The epoch, 0-based.</param>
/// <param name="Phase">Where the numbers come from: <c>train</c>, <c>validation</c>...</param>
/// <param name="Metrics">The values by name.</param>
public sealed record MetricRecord(long Step, int Epoch, string Phase, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Wall time in seconds since the run first started (a resumed run continues from its log's last record), or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Seconds { get; init; }

    /// <summary>When the record was written, in UTC, or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Time { get; init; }

    /// <summary>The learning rate the step's update applied (<see cref="StepEnd{TParams, TModelState}.AppliedLearningRate"/>), or null when unknown or not a training record.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? LearningRate { get; init; }
}

/// <summary>
/// Every metric of a run as JSON lines (one object per line, appended and flushed as written, so the file can be
/// read, plotted or resumed from while the run goes on).
/// </summary>
public sealed class MetricsLog : IDisposable
{
    static readonly JsonSerializerOptions Json = RunJson.Options;

    readonly StreamWriter writer;

    /// <summary>Opens <paramref name="path"/> for appending.</summary>
    public MetricsLog(string path) => writer = new StreamWriter(path, append: true) { AutoFlush = true };

    /// <summary>Appends one record.</summary>
    public void Write(MetricRecord record) => writer.WriteLine(JsonSerializer.Serialize(record, Json));

    /// <summary>Appends one record to the log at <paramref name="path"/>, opening and closing the file around the write.</summary>
    public static void Append(string path, MetricRecord record) =>
        File.AppendAllText(path, JsonSerializer.Serialize(record, Json) + Environment.NewLine);

    /// <summary>The records of a log file, in order; a torn last line is dropped silently (see <see cref="Read(string, TextWriter)"/>).</summary>
    /// <exception cref="InvalidDataException">A line before the last is not a metric record; the message names the file and the line.</exception>
    public static IReadOnlyList<MetricRecord> Read(string path) => Read(path, TextWriter.Null);

    /// <summary>
    /// The records of a log file, in order. The last line may be torn (a process killed while appending it): it is
    /// dropped, with a warning naming the file and line written to <paramref name="warnings"/>. Any other line that is
    /// not a record is an error.
    /// </summary>
    /// <exception cref="InvalidDataException">A line before the last is not a metric record; the message names the file and the line.</exception>
    public static IReadOnlyList<MetricRecord> Read(string path, TextWriter warnings) => Lines(path, warnings).Select(line => line.Record).ToArray();

    /// <summary>
    /// Cuts the log at <paramref name="path"/> to its records of steps up to <paramref name="step"/> (and drops a torn
    /// last line), rewriting it atomically (<see cref="AtomicFile"/>) when anything goes; a run resumed from the
    /// checkpoint of <paramref name="step"/> then logs every later step once. Returns the number of records dropped;
    /// what was dropped is said on <paramref name="warnings"/>. A missing log is left missing.
    /// </summary>
    /// <exception cref="InvalidDataException">A line before the last is not a metric record (the log is left as it is).</exception>
    public static int TruncateAfter(string path, long step, TextWriter warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        if (!File.Exists(path)) return 0;
        var lines = Lines(path, warnings, out var torn);
        var kept = lines.Where(line => line.Record.Step <= step).ToArray();
        var dropped = lines.Count - kept.Length;
        if (dropped == 0 && !torn) return 0;
        AtomicFile.WriteAllText(path, string.Concat(kept.Select(line => line.Text + "\n")));
        if (dropped > 0) warnings.WriteLine($"{path}: dropped {dropped} record{(dropped == 1 ? "" : "s")} of steps after {step} (logged after the checkpoint the run resumes from; they are logged again).");
        return dropped;
    }

    sealed record Line(string Text, MetricRecord Record);

    static IReadOnlyList<Line> Lines(string path, TextWriter warnings) => Lines(path, warnings, out _);

    static IReadOnlyList<Line> Lines(string path, TextWriter warnings, out bool torn)
    {
        var texts = File.ReadAllText(path).Split('\n').Select(text => text.TrimEnd('\r')).ToArray();
        var last = Array.FindLastIndex(texts, text => text.Length > 0);
        var lines = new List<Line>();
        torn = false;
        for (var i = 0; i <= last; i++)
        {
            if (texts[i].Length == 0) continue;
            if (Parse(texts[i]) is { } record)
            {
                lines.Add(new Line(texts[i], record));
                continue;
            }
            if (i < last) throw new InvalidDataException($"{path} line {i + 1} is not a metric record: {Excerpt(texts[i])}");
            warnings.WriteLine($"{path} line {i + 1}: dropped a torn last line ({Excerpt(texts[i])}), left by a run that was killed while writing it.");
            torn = true;
        }
        return lines;
    }

    static MetricRecord? Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<MetricRecord>(text, Json) is { Phase: not null, Metrics: not null } record ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string Excerpt(string text) => text.Length <= 60 ? $"'{text}'" : $"'{text[..60]}...'";

    /// <summary>Closes the file.</summary>
    public void Dispose() => writer.Dispose();
}
