namespace Functional.PropertyTests;

/// <summary>The data sets in <c>../shared/data</c> beside the repository (never committed to it).</summary>
public static class SharedData
{
    /// <summary>The folder of one data set, found from the repository root above the test binaries.</summary>
    public static string Folder(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Functional.sln")))
                return Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "data", name));
        throw new DirectoryNotFoundException($"No Functional.sln above {AppContext.BaseDirectory}.");
    }
}
