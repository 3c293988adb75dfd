using System.Globalization;
using System.Text;
using Functional.Core;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>Making the ranks' train states identical, and checking that they are.</summary>
public static class StateSync
{
    /// <summary>
    /// Rank <paramref name="root"/>'s train state on every rank, as fresh tensors the caller owns (<paramref name="state"/>
    /// is neither changed nor released). The other ranks' <paramref name="state"/> gives only the structure: the same model
    /// and pipeline, e.g. a fresh <see cref="TrainState.Init{TParams, TModelState}"/>, so only the root needs the checkpoint (no shared
    /// file system). Every leaf of <see cref="TrainStateTree.Flatten{TParams, TModelState}"/> (parameters, optimizer state
    /// with its counters, model state, random state), the step and the data position come from the root.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ranks' states differ in structure (another model or pipeline).</exception>
    public static TrainState<TParams, TModelState> Broadcast<TParams, TModelState>(Communicator communicator, TrainState<TParams, TModelState> state, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(state);
        // The copies and the leaves the restore reads as numbers (counters) die with this scope; the result leaves it.
        using var scope = torch.NewDisposeScope();
        var flat = TrainStateTree.Flatten(state);
        var shapes = string.Join(";", flat.Select(t => $"{t.Path}:{t.Value.dtype}[{string.Join(",", t.Value.shape)}]"));
        if (!Agree(communicator, [Fingerprint(shapes)], root))
            throw new InvalidOperationException($"Rank {communicator.Rank}: the ranks' train states differ in structure (tensor names, dtypes and shapes); every rank must build the same model and pipeline.");

        var copies = flat.Select(leaf => HostCopy(leaf.Value)).ToArray();
        foreach (var copy in copies) communicator.Broadcast(copy, root);
        var numbers = new long[] { state.Step, state.Position.Epoch, state.Position.Batch };
        communicator.Broadcast(numbers, root);

        var placed = flat.Select((leaf, i) => new TreeLeaf(leaf.Path, Place(copies[i], leaf.Value.device))).ToArray();
        // This rank's own state gives the structure; the root's leaves fill it.
        var rootState = TrainStateTree.Restore(state, placed)
            with { Step = numbers[0], Position = new DataPosition((int)numbers[1], (int)numbers[2]) };
        scope.MoveToOuter(TrainStateTree.Tensors(rootState));
        return rootState;
    }

    /// <summary>
    /// Throws on every rank unless all ranks hold the same state: a checksum of every parameter, optimizer-state tensor,
    /// model-state tensor and the random state (sum and sum of squares in float64), the step and the data position, compared with the root's.
    /// </summary>
    /// <exception cref="InvalidOperationException">Some rank's state differs; the message says which part on this rank.</exception>
    public static void Verify<TParams, TModelState>(Communicator communicator, TrainState<TParams, TModelState> state, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(state);
        var sums = Checksum(state);
        if (!Agree(communicator, sums, root))
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The ranks' train states differ (rank {communicator.Rank}: step {state.Step}, epoch {state.Position.Epoch}, batch {state.Position.Batch}, parameter checksum {sums[3]:R}); start every rank from the root's state (StateSync.Broadcast)."));
    }

    /// <summary>Per-part checksums of a state: step, epoch, batch, then sum and sum of squares of each leaf of <see cref="TrainStateTree.Flatten{TParams, TModelState}"/> in float64.</summary>
    public static double[] Checksum<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var values = new List<double> { state.Step, state.Position.Epoch, state.Position.Batch };
        using var flatScope = torch.NewDisposeScope();   // the sums' temporaries die here
        var flat = TrainStateTree.Flatten(state);
        foreach (var tensor in flat.Select(leaf => leaf.Value))
        {
            using var scope = torch.NewDisposeScope();
            var wide = tensor.detach().to(torch.float64);
            values.Add(wide.sum().item<double>());
            values.Add(wide.pow(Scalars.Two).sum().item<double>());
        }
        return values.ToArray();
    }

    /// <summary>Whether every rank's <paramref name="values"/> equal the root's bit for bit (all ranks get the same answer).</summary>
    internal static bool Agree(Communicator communicator, double[] values, int root)
    {
        using var mine = torch.tensor(values, dtype: torch.float64);
        using var roots = mine.clone();
        communicator.Broadcast(roots, root);
        var differs = !mine.data<double>().ToArray().Select(BitConverter.DoubleToInt64Bits).SequenceEqual(roots.data<double>().ToArray().Select(BitConverter.DoubleToInt64Bits));
        Span<double> count = [differs ? 1 : 0];
        communicator.AllReduceSum(count);
        return count[0] == 0;
    }

    static torch.Tensor HostCopy(torch.Tensor tensor)
    {
        using var detached = tensor.detach();
        return detached.is_cpu() ? detached.clone() : detached.cpu();
    }

    static torch.Tensor Place(torch.Tensor copy, torch.Device device)
    {
        if (copy.device_type == device.type) return copy;
        return copy.to(device);
    }

    static double Fingerprint(string text)
    {
        // FNV-1a, 52 bits so that the double holds it exactly.
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text)) hash = (hash ^ b) * 1099511628211UL;
        return hash & ((1UL << 52) - 1);
    }
}
