using TorchSharp;
using static TorchSharp.torch;

namespace Functional.Core;

/// <summary>
/// Native <c>nn.LSTM</c>/<c>nn.GRU</c> modules kept for reuse by <see cref="FusedRecurrence"/>, per shape, dtype and
/// device: constructing a module draws a random initialisation that the fused path overwrites at once, so a module whose
/// graph is released is handed back here and copied into by the next call of its shape.
/// </summary>
/// <remarks>
/// A rented module belongs to one graph until that graph returns it, so concurrent graphs (several calls before a
/// backward, several threads) each get their own. The pool is bounded: at most <see cref="NativeRecurrentModules.Capacity"/>
/// idle modules over all shapes, the least recently returned freed first, and a module whose graph is never released is
/// freed as usual. <see cref="Clear"/> frees every idle module at once. Thread-safe.
/// </remarks>
internal static class RecurrentModulePool
{
    /// <summary>What makes two modules interchangeable.</summary>
    internal sealed record Key(Recurrence.Kind Kind, long Inputs, long Hidden, int Layers, bool Bidirectional, ScalarType Dtype, DeviceType Device, int DeviceIndex);

    /// <summary>A module and its weight leaves in <see cref="Recurrence.Weights"/> order.</summary>
    internal sealed record Entry(nn.Module Module, Tensor[] Weights);

    static readonly object Lock = new();

    /// <summary>Idle modules, the most recently returned first.</summary>
    static readonly LinkedList<(Key Key, Entry Entry)> Idle = new();

    static long released;

    /// <summary>Idle modules held now (never more than <see cref="NativeRecurrentModules.Capacity"/>).</summary>
    internal static int Count
    {
        get
        {
            lock (Lock) return Idle.Count;
        }
    }

    /// <summary>Modules freed so far, by eviction or <see cref="Clear"/>.</summary>
    internal static long Released => Interlocked.Read(ref released);

    /// <summary>An idle module of <paramref name="key"/>'s shape, or a new one; its weights hold arbitrary values.</summary>
    internal static Entry Rent(Key key)
    {
        lock (Lock)
        {
            for (var node = Idle.First; node is not null; node = node.Next)
                if (node.Value.Key == key)
                {
                    Idle.Remove(node);
                    return node.Value.Entry;
                }
        }
        using var noGradient = no_grad();
        var module = Construct(key);
        module.to(key.Dtype).to(new Device(key.Device, key.DeviceIndex));
        var named = module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var weights = Recurrence.WeightNames(key.Layers, key.Bidirectional).Select(name => named[name]).ToArray();
        // The handles live as long as the entry, not as long as the caller's dispose scope.
        foreach (var weight in weights) weight.DetachFromDisposeScope();
        return new Entry(module, weights);
    }
    /// <summary>
    /// A new module of <paramref name="key"/>'s shape on the CPU. libtorch initialises it from torch's default generator;
    /// that generator's state is put back afterwards, so a user's seeded stream does not depend on whether a masked
    /// recurrent layer ran (the weights are overwritten anyway). The lock keeps two constructions from interleaving; a
    /// thread of the user's that draws from the default generator during a construction is not covered.
    /// </summary>
    static nn.Module Construct(Key key)
    {
        lock (ConstructionLock)
        {
            using var saved = get_rng_state();
            nn.Module module = key.Kind == Recurrence.Kind.Lstm
                ? nn.LSTM(key.Inputs, key.Hidden, key.Layers, batchFirst: true, bidirectional: key.Bidirectional)
                : nn.GRU(key.Inputs, key.Hidden, key.Layers, batchFirst: true, bidirectional: key.Bidirectional);
            set_rng_state(saved);
            return module;
        }
    }

    static readonly object ConstructionLock = new();

    /// <summary>Hands <paramref name="entry"/> back once no graph uses it; frees the least recently returned module when the pool is full.</summary>
    internal static void Return(Key key, Entry entry)
    {
        (Key Key, Entry Entry)? evicted = null;
        lock (Lock)
        {
            Idle.AddFirst((key, entry));
            if (Idle.Count > NativeRecurrentModules.Capacity)
            {
                evicted = Idle.Last!.Value;
                Idle.RemoveLast();
            }
        }
        if (evicted is { } old) Free(old.Entry);
    }

    /// <summary>Frees every idle module; modules rented by live graphs come back (and are kept) when those graphs are released.</summary>
    internal static void Clear()
    {
        (Key Key, Entry Entry)[] idle;
        lock (Lock)
        {
            idle = Idle.ToArray();
            Idle.Clear();
        }
        foreach (var (_, entry) in idle) Free(entry);
    }

    static void Free(Entry entry)
    {
        foreach (var weight in entry.Weights) weight.Dispose();
        entry.Module.Dispose();
        Interlocked.Increment(ref released);
    }
}
