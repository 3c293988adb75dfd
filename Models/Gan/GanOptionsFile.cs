using System.Text.Json;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>
/// The options of a GAN run kept beside its checkpoints, <c>OUT/gan-options.json</c>: they fix the network sizes and
/// the optimizer, so a resumed run rebuilds exactly the networks and pipeline its checkpoints were saved from (the
/// checkpoints themselves hold tensors only). Written atomically (<see cref="AtomicFile"/>) when a run starts afresh, in the
/// run files' JSON form (<see cref="RunJson"/>: camelCase; files written in PascalCase before still read).
/// </summary>
public static class GanOptionsFile
{
    /// <summary>The file's name in the run folder.</summary>
    public const string FileName = "gan-options.json";

    /// <summary>The path of the file in <paramref name="folder"/>.</summary>
    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    /// <summary>Writes <paramref name="options"/> into <paramref name="folder"/> (created if missing), replacing the file atomically.</summary>
    public static void Write(string folder, GanOptions options)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(PathIn(folder), JsonSerializer.Serialize(options, RunJson.Indented));
    }

    /// <summary>The options saved in <paramref name="folder"/>, or null when it has no options file.</summary>
    /// <exception cref="InvalidDataException">The file is not GAN options, or holds a value out of range; the message names the file.</exception>
    public static GanOptions? Read(string folder)
    {
        var path = PathIn(folder);
        if (!File.Exists(path)) return null;
        try
        {
            return (JsonSerializer.Deserialize<GanOptions>(File.ReadAllText(path), RunJson.Options) ?? throw new InvalidDataException($"{path} holds no GAN options.")).Validated();
        }
        catch (Exception error) when (error is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{path} does not hold valid GAN options: {error.Message}", error);
        }
    }
}
