using System.Globalization;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;

namespace Functional.Models;

/// <summary>Where a title training run stands: what a checkpoint holds.</summary>
/// <param name="Parameters">The current parameters.</param>
/// <param name="OptimizerState">The optimizer's state.</param>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="Epoch">The epoch to run (1-based).</param>
/// <param name="Batch">The next batch of that epoch's plan.</param>
/// <param name="BestRougeL">The best validation-subset ROUGE-L so far (the saved model's).</param>
public sealed record TitleTrainState(TitleModelParams Parameters, object OptimizerState, long Step, int Epoch, int Batch, double BestRougeL);

/// <summary>Saves and resumes <see cref="TitleTrainState"/> through a <see cref="CheckpointStore"/>, with the dropout generator's state.</summary>
public static class TitleCheckpoint
{
    const string ParametersPrefix = "parameters/";
    const string OptimizerPrefix = "optimizer/";
    const string RandomName = "random-state";

    /// <summary>
    /// The state of the newest checkpoint in <paramref name="store"/> (and <paramref name="generator"/> set to its
    /// saved state), or a fresh one: parameters from <paramref name="generator"/>, epoch 1, batch 0.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint does not fit the model (its shapes or vocabulary differ).</exception>
    public static TitleTrainState Resume(CheckpointStore store, CharacterVocabulary vocabulary, TitleModelOptions model, IGradientTransformation optimizer, torch.Generator generator, TextWriter output)
    {
        var fresh = TitleModel.Init(generator, vocabulary.Size, model, torch.CPU);
        if (store.LoadLatest() is not { } latest)
            return new TitleTrainState(fresh, Optimizer.Init(optimizer, fresh), 0, 1, 0, double.NegativeInfinity);
        var tensors = latest.Content.Tensors;
        var parameters = TreeFile.Restore(fresh, tensors.Where(t => t.Name.StartsWith(ParametersPrefix, StringComparison.Ordinal))
            .Select(t => new NamedTensor(t.Name[ParametersPrefix.Length..], t.Value)).ToArray());
        Tree.Dispose(fresh);
        var meta = latest.Content.Metadata;
        var optimizerState = OptimizerStates.Decode(new EncodedState(
            tensors.Where(t => t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).Select(t => new TreeLeaf(t.Name[OptimizerPrefix.Length..], t.Value)).ToArray(),
            meta["optimizer"]));
        generator.set_state(tensors.Single(t => t.Name == RandomName).Value);
        var state = new TitleTrainState(parameters, optimizerState, long.Parse(meta["step"], CultureInfo.InvariantCulture),
            int.Parse(meta["epoch"], CultureInfo.InvariantCulture), int.Parse(meta["batch"], CultureInfo.InvariantCulture),
            double.Parse(meta["best-rouge-l"], CultureInfo.InvariantCulture));
        output.WriteLine($"Resuming from the checkpoint of step {state.Step} (epoch {state.Epoch}, batch {state.Batch}).");
        return state;
    }

    /// <summary>Writes <paramref name="state"/> and <paramref name="generator"/>'s state as the checkpoint of its step.</summary>
    public static void Save(CheckpointStore store, TitleTrainState state, torch.Generator generator)
    {
        var encoded = OptimizerStates.Encode(state.OptimizerState);
        using var random = generator.get_state();
        var tensors = TreeFile.Tensors(state.Parameters).Select(t => new NamedTensor(ParametersPrefix + t.Name, t.Value))
            .Concat(encoded.Tensors.Select(t => new NamedTensor(OptimizerPrefix + t.Path, t.Value)))
            .Append(new NamedTensor(RandomName, random));
        store.Save(state.Step, tensors, new Dictionary<string, string>
        {
            ["optimizer"] = encoded.Structure,
            ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = state.Epoch.ToString(CultureInfo.InvariantCulture),
            ["batch"] = state.Batch.ToString(CultureInfo.InvariantCulture),
            ["best-rouge-l"] = state.BestRougeL.ToString("R", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Disposes the tensors of an optimizer state (through its own handles).</summary>
    public static void DisposeOptimizerState(object state)
    {
        foreach (var leaf in OptimizerStates.Encode(state).Tensors) leaf.Value.Dispose();
    }
}
