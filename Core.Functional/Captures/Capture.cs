using TorchSharp;

namespace Functional.Core;

/// <summary>
/// An explicit argument through which a model hands out named intermediate values (an attention matrix, a hidden
/// state's norm) to a caller who asked for them.
/// </summary>
/// <remarks>
/// Contract: the caller decides what is kept — <see cref="Of"/> names the values wanted, <see cref="None"/> wants
/// nothing and costs nothing. A model calls <see cref="Record(string, Func{torch.Tensor})"/> for every value it can
/// offer; only wanted values are computed and kept, as detached copies that belong to this capture (they survive
/// the dispose scope of the step that made them, and <see cref="Dispose"/> releases them). Asking for a value that
/// was never offered is an error that lists the names that were. A capture is for one forward pass on one thread.
/// </remarks>
public sealed class Capture : IDisposable
{
    readonly HashSet<string> wanted;
    readonly HashSet<string> offered = new(StringComparer.Ordinal);
    readonly Dictionary<string, torch.Tensor> kept = new(StringComparer.Ordinal);

    Capture(IEnumerable<string> wanted) => this.wanted = new HashSet<string>(wanted, StringComparer.Ordinal);

    /// <summary>A capture that keeps nothing: recording into it does no work.</summary>
    public static Capture None => new([]);

    /// <summary>A capture that keeps the values named <paramref name="names"/>.</summary>
    public static Capture Of(params string[] names) => new(names);

    /// <summary>Whether the caller wants the value named <paramref name="name"/>.</summary>
    public bool Wants(string name) => wanted.Contains(name);

    /// <summary>Offers <paramref name="value"/> under <paramref name="name"/>; keeps a detached copy if it is wanted.</summary>
    public void Record(string name, torch.Tensor value) => Record(name, () => value);

    /// <summary>Offers a value under <paramref name="name"/>; <paramref name="compute"/> runs only if it is wanted.</summary>
    /// <exception cref="ArgumentException">A value was already recorded under that name in this pass.</exception>
    public void Record(string name, Func<torch.Tensor> compute)
    {
        if (wanted.Count == 0) return;
        if (!offered.Add(name))
            throw new ArgumentException($"The value '{name}' was recorded twice in one pass; give each its own name.", nameof(name));
        if (!wanted.Contains(name)) return;
        using var scope = torch.NewDisposeScope();
        kept[name] = compute().detach().clone().DetachFromDisposeScope();
    }

    /// <summary>The value recorded under <paramref name="name"/>; it belongs to this capture.</summary>
    /// <exception cref="KeyNotFoundException">It was not asked for, or the model never offered it; the message lists what was offered.</exception>
    public torch.Tensor this[string name] =>
        kept.TryGetValue(name, out var value)
            ? value
            : throw new KeyNotFoundException(wanted.Contains(name)
                ? $"The model never recorded '{name}'. It recorded: {Describe(offered)}."
                : $"'{name}' was not asked for: create the capture with Capture.Of(\"{name}\"). Asked for: {Describe(wanted)}; the model recorded: {Describe(offered)}.");

    /// <summary>The names the model offered in this pass (only tracked when something is wanted).</summary>
    public IReadOnlyCollection<string> Offered => offered;

    /// <summary>Releases the kept values.</summary>
    public void Dispose()
    {
        foreach (var value in kept.Values) value.Dispose();
        kept.Clear();
    }

    static string Describe(IEnumerable<string> names) =>
        names.Any() ? string.Join(", ", names.Order(StringComparer.Ordinal).Select(n => $"'{n}'")) : "nothing";
}
