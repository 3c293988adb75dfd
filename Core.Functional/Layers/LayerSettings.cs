namespace Functional.Core;

/// <summary>Checks of a layer's configuration (strides, paddings, windows) made when its record is built or changed with <c>with</c>.</summary>
internal static class LayerSettings
{
    /// <summary><paramref name="value"/> when it is at least <paramref name="minimum"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is smaller; the message names the record and the setting: "Conv2d Stride must be at least 1, got 0.".</exception>
    public static int AtLeast(string record, string name, int value, int minimum) =>
        value >= minimum ? value : throw new ArgumentOutOfRangeException(name, value, $"{record} {name} must be at least {minimum}, got {value}.");
}
