using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using TorchSharp;

namespace Functional.Cli;

/// <summary>
/// The <c>--device NAME</c> option: <c>cpu</c> (the default), <c>cuda</c> or <c>cuda:N</c> (any libtorch device type,
/// with an optional index), which must be available on this machine.
/// </summary>
public static partial class Devices
{
    /// <summary>A fresh <c>--device</c> option whose validator refuses names that are not devices available here.</summary>
    public static Option<string> Option()
    {
        var option = Flags.Text("--device", "the device to run on: cpu, or cuda / cuda:N where libtorch sees a GPU", helpName: "NAME");
        option.DefaultValueFactory = _ => "cpu";
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || !Flags.TryValue<string>(result, out var name)) return;
            if (Problem(name ?? "") is { } problem) result.AddError(problem);
        });
        return option;
    }

    /// <summary>The device named by <paramref name="text"/> (checked by the option's validator).</summary>
    /// <exception cref="UsageException">The name is not a device available here.</exception>
    public static torch.Device Parse(string text) =>
        Problem(text) is { } problem ? throw new UsageException(problem) : Create(text);

    static torch.Device Create(string text)
    {
        var parts = Name().Match(text);
        var type = Enum.Parse<DeviceType>(parts.Groups[1].Value, ignoreCase: true);
        return new torch.Device(type, parts.Groups[2].Success ? int.Parse(parts.Groups[2].Value, CultureInfo.InvariantCulture) : -1);
    }

    static string? Problem(string text)
    {
        if (text == "cpu") return null; // needs no look at libtorch
        var parts = Name().Match(text);
        if (!parts.Success || !Enum.TryParse<DeviceType>(parts.Groups[1].Value, ignoreCase: true, out var type) || !Enum.IsDefined(type))
            return $"--device must name a device (cpu, cuda, cuda:N), got '{text}'; available here: {string.Join(", ", Available())}.";
        var index = !parts.Groups[2].Success ? -1 : int.TryParse(parts.Groups[2].Value, CultureInfo.InvariantCulture, out var given) ? given : int.MaxValue;
        var available = type switch
        {
            DeviceType.CPU => index <= 0,
            DeviceType.CUDA => torch.cuda.is_available() && index < torch.cuda.device_count(),
            _ => false,
        };
        return available ? null
            : $"--device {text} is not available on this machine (libtorch {(torch.cuda.is_available() ? $"sees {torch.cuda.device_count()} CUDA device(s)" : "has no CUDA device or was built for the CPU only")}); available here: {string.Join(", ", Available())}.";
    }

    /// <summary>The names accepted on this machine.</summary>
    static IEnumerable<string> Available()
    {
        yield return "cpu";
        if (!torch.cuda.is_available()) yield break;
        yield return "cuda";
        for (var i = 0; i < torch.cuda.device_count(); i++) yield return $"cuda:{i}";
    }

    [GeneratedRegex("^([a-zA-Z]+)(?::([0-9]+))?$")]
    private static partial Regex Name();
}
