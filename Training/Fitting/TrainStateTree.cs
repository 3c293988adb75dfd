using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Training;

/// <summary>
/// A <see cref="TrainState{TParams, TModelState}"/> as one list of named leaves and back: the only place that lists the
/// parts of a train state. Saving and loading (<see cref="TrainStateFile"/>), its size, releasing it
/// (<see cref="TrainState.Dispose{TParams, TModelState}"/>), the MPI broadcast and the checksum all walk it through here.
/// </summary>
/// <remarks>
/// Names: <c>parameters/</c> + the parameter tree's paths; <c>optimizer/</c> + the optimizer state's paths (moments named
/// by the parameters they belong to, counters as 0-d tensors); <c>model-state/</c> + the model state's paths (none for
/// <see cref="NoState"/>); <c>random</c>, the generator's bytes. The step and the data position are numbers, not leaves.
/// </remarks>
public static class TrainStateTree
{
    /// <summary>The prefix of the parameters' leaves.</summary>
    public const string ParametersPrefix = "parameters/";

    /// <summary>The prefix of the optimizer state's leaves.</summary>
    public const string OptimizerPrefix = "optimizer/";

    /// <summary>The prefix of the model state's leaves.</summary>
    public const string ModelStatePrefix = "model-state/";

    /// <summary>The name of the random state's leaf.</summary>
    public const string RandomName = "random";

    /// <summary>
    /// Every leaf of <paramref name="state"/>, named and in order (see the remarks). The tensors are the state's own
    /// (counters included: optimizer states hold them as 0-d tensors); nothing is made, copied or released.
    /// </summary>
    public static IReadOnlyList<TreeLeaf> Flatten<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parameters = Tree.Flatten(state.Parameters);
        var leaves = parameters.Select(leaf => Named(ParametersPrefix, leaf))
            .Concat(OptimizerStates.Flatten(state.OptimizerState).Select(leaf => Named(OptimizerPrefix, leaf)))
            .Concat(Tree.Flatten(state.ModelState).Select(leaf => Named(ModelStatePrefix, leaf)))
            .Append(new TreeLeaf(RandomName, state.RandomState))
            .ToArray();
        return leaves;
    }

    /// <summary>
    /// The tensors <paramref name="state"/> holds (what releasing it releases): the leaves of <see cref="Flatten{TParams, TModelState}"/>
    /// (the same tensors), found by the Core walker over the whole record, which
    /// needs no names and makes no tensor (a quarter of the time of listing the parts by hand on the title model's state).
    /// </summary>
    public static IReadOnlyList<torch.Tensor> Tensors<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Tree.Leaves(state);
    }

    /// <summary>The bytes of the tensor data of <paramref name="state"/>, counters included (what a checkpoint holds, less its header).</summary>
    public static long Bytes<TParams, TModelState>(TrainState<TParams, TModelState> state)
    {
        return Flatten(state).Sum(leaf => leaf.Value.numel() * leaf.Value.element_size());
    }

    /// <summary>
    /// The state of the structure of <paramref name="template"/> (the same model, model state and pipeline) whose every
    /// leaf is the leaf of <paramref name="leaves"/> with the same name; the step and data position are the template's
    /// (set them with <c>with</c>). The result holds the given tensors (parameters and model state moved to the device of
    /// the template's, when they are elsewhere); the leaves it does not hold (counters, read as numbers) stay the caller's,
    /// and so does <paramref name="template"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A leaf is missing, extra, or of another shape or dtype; the message says which part (model, pipeline, model state)
    /// and names the first such path with both sides.
    /// </exception>
    public static TrainState<TParams, TModelState> Restore<TParams, TModelState>(TrainState<TParams, TModelState> template, IReadOnlyList<TreeLeaf> leaves)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(leaves);
        CheckNames(leaves.Select(leaf => leaf.Path), "");
        var random = leaves.FirstOrDefault(leaf => leaf.Path == RandomName)?.Value
                     ?? throw new InvalidDataException($"has no random state '{RandomName}'.");
        TParams parameters;
        try
        {
            parameters = TreeFile.Restore(template.Parameters, Under(ParametersPrefix, leaves));
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"was written for another model: {error.Message}", error);
        }
        var modelState = RestoreModelState(template.ModelState, Under(ModelStatePrefix, leaves));
        // Restore places each leaf on its fresh leaf's device (a copy when elsewhere); a saved leaf it did not keep is released.
        var optimizerLeaves = Under(OptimizerPrefix, leaves).Select(t => new TreeLeaf(t.Name, t.Value)).ToArray();
        object optimizerState;
        try
        {
            optimizerState = OptimizerStates.Restore(template.OptimizerState, optimizerLeaves);
            var kept = OptimizerStates.Tensors(optimizerState).ToHashSet(ReferenceEqualityComparer.Instance);
            foreach (var leaf in optimizerLeaves.Where(leaf => !kept.Contains(leaf.Value))) leaf.Value.Dispose();
        }
        catch (TreeMismatchException error)
        {
            throw new InvalidDataException(
                $"was written for another optimizer pipeline: at '{OptimizerPrefix}{error.Path}' the pipeline expects {error.Expected}, the checkpoint has {error.Actual}.", error);
        }
        return template with { Parameters = parameters, OptimizerState = optimizerState, RandomState = random, ModelState = modelState };
    }

    /// <summary>Refuses a leaf name of no part of a train state (the message starts with <paramref name="subject"/>).</summary>
    /// <exception cref="InvalidDataException">A name is neither under a part's prefix nor <see cref="RandomName"/>; the message names it.</exception>
    public static void CheckNames(IEnumerable<string> names, string subject)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.FirstOrDefault(name => name != RandomName && Part(name) is null) is { } stray)
            throw new InvalidDataException($"{subject}has the tensor '{stray}', which is neither a parameter, an optimizer-state leaf, a model-state leaf nor the random state.");
    }

    static TModelState RestoreModelState<TModelState>(TModelState template, IReadOnlyList<NamedTensor> saved)
    {
        if (Tree.LeafCount(template) == 0 && saved.Count > 0)
            throw new InvalidDataException($"has model state ('{ModelStatePrefix}{saved[0].Name}'), but the model it is loaded for has none ({typeof(TModelState).Name}).");
        try
        {
            return TreeFile.Restore(template, saved);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"was written for a model with another state: {error.Message}", error);
        }
    }

    static TreeLeaf Named(string prefix, TreeLeaf leaf) => new(prefix + leaf.Path, leaf.Value);

    static string? Part(string name) =>
        new[] { ParametersPrefix, OptimizerPrefix, ModelStatePrefix }.FirstOrDefault(prefix => name.StartsWith(prefix, StringComparison.Ordinal));

    static NamedTensor[] Under(string prefix, IReadOnlyList<TreeLeaf> leaves) =>
        leaves.Where(leaf => leaf.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(leaf => new NamedTensor(leaf.Path[prefix.Length..], leaf.Value)).ToArray();
}
