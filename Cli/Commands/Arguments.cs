using System.Globalization;
using System.Text.RegularExpressions;
using TorchSharp;

namespace Functional.Cli;

/// <summary>
/// <c>--name value</c> options after a command word. Every option read is remembered, so that unknown or
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

    /// <summary>
    /// The device of <c>--device NAME</c>, <c>cpu</c> when the option is absent: <c>cpu</c>, <c>cuda</c> or
    /// <c>cuda:N</c> (any libtorch device type, with an optional index), which must be available on this machine.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a device, or that device is not available here; the message lists those that are.</exception>
    public torch.Device Device()
    {
        var text = Read("device");
        if (text is null) return torch.CPU;
        var parts = Regex.Match(text, "^([a-zA-Z]+)(?::([0-9]+))?$");
        if (!parts.Success || !Enum.TryParse<DeviceType>(parts.Groups[1].Value, ignoreCase: true, out var type) || !Enum.IsDefined(type))
            throw new ArgumentException($"--device must name a device (cpu, cuda, cuda:N), got '{text}'; available here: {string.Join(", ", AvailableDevices())}.");
        var index = parts.Groups[2].Success ? int.Parse(parts.Groups[2].Value, CultureInfo.InvariantCulture) : -1;
        var available = type switch
        {
            DeviceType.CPU => index <= 0,
            DeviceType.CUDA => torch.cuda.is_available() && index < torch.cuda.device_count(),
            _ => false,
        };
        if (!available)
            throw new ArgumentException($"--device {text} is not available on this machine (libtorch {(torch.cuda.is_available() ? $"sees {torch.cuda.device_count()} CUDA device(s)" : "has no CUDA device or was built for the CPU only")}); available here: {string.Join(", ", AvailableDevices())}.");
        return new torch.Device(type, index);
    }

    /// <summary>The names <see cref="Device"/> accepts on this machine.</summary>
    static IEnumerable<string> AvailableDevices()
    {
        yield return "cpu";
        if (!torch.cuda.is_available()) yield break;
        yield return "cuda";
        for (var i = 0; i < torch.cuda.device_count(); i++) yield return $"cuda:{i}";
    }

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
