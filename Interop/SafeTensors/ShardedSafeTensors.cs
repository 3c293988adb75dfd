using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;

namespace Functional.Interop;

/// <summary>
/// A Hugging Face sharded checkpoint: <c>model.safetensors.index.json</c> (<c>{"metadata": {...}, "weight_map":
/// {name: shard file}}</c>) beside its shard files, read as one state dict. Each shard is a
/// <see cref="SafeTensorsFile"/> (streamed, opened once).
/// </summary>
/// <remarks>
/// A shard must be a plain file name in the index's folder (no directory part, no <c>..</c>): an index cannot make the
/// reader open another file. Every name of the weight map must be in its shard; a shard's tensors that the map does not
/// name are ignored, as Hugging Face's loader does. Errors name the index and the shard.
/// </remarks>
public sealed class ShardedSafeTensors : IStateDictSource
{
    readonly Dictionary<string, SafeTensorsFile> shardOf;
    readonly List<SafeTensorsFile> shards;

    ShardedSafeTensors(string index, List<SafeTensorsFile> shards, Dictionary<string, SafeTensorsFile> shardOf, IReadOnlyList<StoredTensor> entries)
    {
        Source = index;
        this.shards = shards;
        this.shardOf = shardOf;
        Entries = entries;
    }

    /// <inheritdoc/>
    public string Source { get; }

    /// <inheritdoc/>
    public IReadOnlyList<StoredTensor> Entries { get; }

    /// <summary>Opens the index at <paramref name="index"/> and every shard it names.</summary>
    /// <exception cref="InvalidDataException">The index or a shard is malformed, a shard is not a plain file name, or a mapped name is not in its shard.</exception>
    public static ShardedSafeTensors Open(string index)
    {
        JsonObject map;
        try
        {
            map = (JsonNode.Parse(File.ReadAllText(index)) as JsonObject)?["weight_map"] as JsonObject
                  ?? throw Bad(index, "no \"weight_map\" object");
        }
        catch (JsonException error)
        {
            throw Bad(index, $"not JSON ({error.Message})");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(index))!;
        var opened = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var shardOf = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var entries = new List<StoredTensor>();
        try
        {
            foreach (var (name, node) in map)
            {
                var shardName = node is JsonValue value && value.TryGetValue<string>(out var text) ? text : throw Bad(index, $"weight_map '{name}': not a file name");
                if (shardName.Length == 0 || shardName != Path.GetFileName(shardName) || shardName is "." or "..")
                    throw Bad(index, $"weight_map '{name}': shard '{shardName}' is not a plain file name in the index's folder");
                if (!opened.TryGetValue(shardName, out var shard))
                {
                    var path = Path.Combine(folder, shardName);
                    if (!File.Exists(path)) throw Bad(index, $"weight_map '{name}': shard '{shardName}' does not exist in {folder}");
                    opened[shardName] = shard = SafeTensorsFile.Open(path);
                }
                var entry = shard.Entries.FirstOrDefault(e => e.Name == name) ?? throw Bad(index, $"weight_map '{name}': shard '{shardName}' has no such tensor");
                shardOf[name] = shard;
                entries.Add(entry);
            }
            return new ShardedSafeTensors(index, opened.Values.ToList(), shardOf, entries);
        }
        catch
        {
            foreach (var shard in opened.Values) shard.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public torch.Tensor Load(string name) =>
        shardOf.TryGetValue(name, out var shard) ? shard.Load(name) : throw new KeyNotFoundException($"{Source} maps no tensor '{name}'.");

    /// <summary>Closes every shard.</summary>
    public void Dispose()
    {
        foreach (var shard in shards) shard.Dispose();
    }

    static InvalidDataException Bad(string index, string problem) => new($"not a valid sharded checkpoint index: {index}: {problem}.");
}
