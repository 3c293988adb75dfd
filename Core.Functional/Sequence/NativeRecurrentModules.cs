namespace Functional.Core;

/// <summary>
/// The native <c>nn.LSTM</c>/<c>nn.GRU</c> modules that the masked recurrent layers' fused path keeps for reuse (their
/// weights are copied in from the parameter record on each call, so they hold no state of the caller's). The pool is
/// bounded and can be released at any time; releasing it only costs a module construction on the next call.
/// </summary>
public static class NativeRecurrentModules
{
    /// <summary>
    /// At most this many idle modules are kept over all shapes, dtypes and devices; the least recently used is freed
    /// first. 16 covers a model's few recurrent shapes (encoder directions, decoder) with room for concurrent graphs.
    /// </summary>
    public const int Capacity = 16;

    /// <summary>Idle modules held now; never more than <see cref="Capacity"/>.</summary>
    public static int Count => RecurrentModulePool.Count;

    /// <summary>Modules freed (their native memory released) since the process started, by eviction or <see cref="Release"/>.</summary>
    public static long Released => RecurrentModulePool.Released;

    /// <summary>
    /// Frees every idle module now (after training, before measuring memory, in a long-lived host). Modules in use by
    /// graphs not yet released stay valid and return to the pool when those graphs are released.
    /// </summary>
    public static void Release() => RecurrentModulePool.Clear();
}
