using System.Globalization;

namespace Functional.Benchmarks;

/// <summary>
/// <c>--name value</c> options of a benchmark (the command line itself uses System.CommandLine). Every option read is remembered, so that unknown or
/// misspelled options are reported instead of ignored.
/// </summary>
public sealed class Arguments
{
    readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    readonly HashSet<string> read = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="options"/> (the arguments after the command word).</summary>
    /// <exception cref="ArgumentException">An argument is not of the form <c>--name value</c>.</exception>
    public Arguments(IReadOnlyList<string> options)
    {
        for (var i = 0; i < options.Count; i += 2)
        {
            if (!options[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= options.Count)
                throw new ArgumentException($"Expected '--name value' at '{options[i]}'.");
            values[options[i][2..]] = options[i + 1];
        }
    }

    /// <summary>The option's text, or <paramref name="fallback"/>.</summary>
    public string Text(string name, string fallback) => Read(name) ?? fallback;

    /// <summary>The option as an integer, or <paramref name="fallback"/>.</summary>
    public int Integer(string name, int fallback) =>
        Read(name) is { } text ? int.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : throw Bad(name, text, "an integer") : fallback;

    /// <summary>The option as a number, or <paramref name="fallback"/>.</summary>
    public double Number(string name, double fallback) =>
        Read(name) is { } text ? double.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : throw Bad(name, text, "a number") : fallback;

    /// <summary>Throws if an option was given that no one read.</summary>
    public void CheckAllUsed()
    {
        var unknown = values.Keys.Where(name => !read.Contains(name)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
    }

    string? Read(string name)
    {
        read.Add(name);
        return values.GetValueOrDefault(name);
    }

    static ArgumentException Bad(string name, string text, string expected) => new($"--{name} must be {expected}, got '{text}'.");
}
