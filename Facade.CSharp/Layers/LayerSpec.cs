using LanguageExt;
using TorchSharp;
using Functional.Core;

namespace Functional.Facade;

/// <summary>One layer of a stack as the builder was given it: its widths, its errors, and the core calls that make and apply it.</summary>
/// <param name="Name">The builder call, for messages.</param>
/// <param name="Outputs">Its output features.</param>
/// <param name="Errors">Its configuration errors, with settings relative to the layer (the stack prefixes its path).</param>
/// <param name="Init">Calls the core <c>Init</c>; only called when the stack has no errors.</param>
/// <param name="Forward">Calls the core <c>Apply</c> on the layer's entry of <see cref="StackParams"/>.</param>
internal sealed record LayerSpec(string Name, int Outputs, Seq<ConfigurationError> Errors, Func<torch.Generator, torch.Device, object> Init, Forward<object> Forward);

/// <summary>The forward function of a stack of layers.</summary>
internal static class Stacks
{
    /// <summary>Each layer on the previous one's output; intermediates are released, the input is not.</summary>
    public static torch.Tensor Apply(IReadOnlyList<LayerSpec> layers, StackParams parameters, torch.Tensor input, StepContext context)
    {
        if (parameters.Layers.Count != layers.Count)
            throw new ArgumentException($"The stack has {layers.Count} layers but its parameters have {parameters.Layers.Count}.", nameof(parameters));
        var current = input;
        for (var i = 0; i < layers.Count; i++)
        {
            var next = layers[i].Forward(parameters.Layers[i], current, context);
            if (!ReferenceEquals(current, input)) current.Dispose();
            current = next;
        }
        return ReferenceEquals(current, input) ? input.alias() : current;
    }
}
