using System.Text.Json;

namespace Functional.Training;

/// <summary>One line of a metrics log.</summary>
/// <param name="Step">The optimizer step (updates so far).</param>
/// <param name="Epoch">The epoch, 0-based.</param>
/// <param name="Phase">Where the numbers come from: <c>train</c>, <c>validation</c>...</param>
/// <param name="Metrics">The values by name.</param>
public sealed record MetricRecord(long Step, int Epoch, string Phase, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Every metric of a run as JSON lines (one object per line, appended and flushed as written, so the file can be
/// read, plotted or resumed from while the run goes on).
/// </summary>
public sealed class MetricsLog : IDisposable
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    readonly StreamWriter writer;

    /// <summary>Opens <paramref name="path"/> for appending.</summary>
    public MetricsLog(string path) => writer = new StreamWriter(path, append: true) { AutoFlush = true };

    /// <summary>Appends one record.</summary>
    public void Write(MetricRecord record) => writer.WriteLine(JsonSerializer.Serialize(record, Json));

    /// <summary>Appends one record to the log at <paramref name="path"/>, opening and closing the file around the write.</summary>
    public static void Append(string path, MetricRecord record) =>
        File.AppendAllText(path, JsonSerializer.Serialize(record, Json) + Environment.NewLine);

    /// <summary>The records of a log file, in order.</summary>
    public static IReadOnlyList<MetricRecord> Read(string path) =>
        File.ReadLines(path).Where(line => line.Length > 0)
            .Select((line, i) => JsonSerializer.Deserialize<MetricRecord>(line, Json) ?? throw new InvalidDataException($"{path} line {i + 1} is not a metric record."))
            .ToArray();

    /// <summary>Closes the file.</summary>
    public void Dispose() => writer.Dispose();
}
