namespace Functional.PropertyTests.CommandLine;

/// <summary>A fresh empty folder under the temporary folder, deleted on dispose.</summary>
public sealed class TemporaryFolder : IDisposable
{
    /// <summary>The folder's full path.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("functional-cli-").FullName;

    /// <summary>A path inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
