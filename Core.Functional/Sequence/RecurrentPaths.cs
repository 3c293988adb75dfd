using System.Text.RegularExpressions;

namespace Functional.Core;

/// <summary>
/// The names of recurrent weights in files written before they followed PyTorch's state dict, and their mapping to
/// today's names (<see cref="LstmParams"/> and <see cref="GruParams"/> leaves are <c>weight_ih_l{k}</c> and so on).
/// </summary>
public static partial class RecurrentPaths
{
    static readonly Dictionary<string, string> Tensors = new(StringComparer.Ordinal)
    {
        ["inputWeight"] = "weight_ih", ["hiddenWeight"] = "weight_hh", ["inputBias"] = "bias_ih", ["hiddenBias"] = "bias_hh",
    };

    [GeneratedRegex(@"^(?<prefix>(?:.*/)?)layers/(?<layer>\d+)/(?<direction>forward|backward)/(?<tensor>inputWeight|hiddenWeight|inputBias|hiddenBias)$", RegexOptions.CultureInvariant)]
    private static partial Regex Legacy();

    /// <summary>
    /// Today's name of a tensor saved under an old recurrent path (<c>encoder/layers/1/backward/hiddenBias</c> becomes
    /// <c>encoder/bias_hh_l1_reverse</c>); any other name is returned unchanged. The layout of the tensors did not change.
    /// </summary>
    public static string FromLegacy(string path)
    {
        var match = Legacy().Match(path);
        if (!match.Success) return path;
        var suffix = match.Groups["direction"].Value == "backward" ? "_reverse" : "";
        return $"{match.Groups["prefix"].Value}{Tensors[match.Groups["tensor"].Value]}_l{match.Groups["layer"].Value}{suffix}";
    }

    /// <summary>Whether <paramref name="path"/> is a recurrent weight's name from before the PyTorch names.</summary>
    public static bool IsLegacy(string path) => Legacy().IsMatch(path);
}
