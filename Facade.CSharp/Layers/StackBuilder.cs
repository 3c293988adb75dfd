using System.Collections.Immutable;
using Functional.Core;
using LanguageExt;
using TorchSharp;
using CoreActivation = Functional.Core.Activation;
using CoreDropout = Functional.Core.Dropout;
using CoreFeedForward = Functional.Core.FeedForward;
using CoreLayerNorm = Functional.Core.LayerNorm;
using CoreLinear = Functional.Core.Linear;

namespace Functional.Facade;

/// <summary>
/// An immutable stack of layers under construction; every method appends one layer (a one-line delegation to the
/// core layer's <c>Init</c> and <c>Apply</c>) and returns a new builder. The builder tracks the width, so a layer
/// names only its outputs. <see cref="Build"/> draws the parameters in layer order from one generator, exactly as
/// calling the core <c>Init</c>s by hand in that order, and returns them as <see cref="StackParams"/> with the
/// stack's forward function.
/// </summary>
/// <remarks>
/// Nothing is checked until <see cref="Validate"/> or <see cref="Build"/>, which report every error at once: sizes
/// below 1, dropout rates outside [0, 1), residual blocks that change the width, stacks reused at the wrong width.
/// Settings are named by tree path: <c>layers/3/layers/0 Linear.outputs</c>.
/// </remarks>
public sealed record StackBuilder
{
    internal StackBuilder(int inputs) => Inputs = inputs;

    /// <summary>The features of the stack's input.</summary>
    public int Inputs { get; }

    /// <summary>The features of the stack's output (its input's when empty).</summary>
    public int Outputs => Specs.IsEmpty ? Inputs : Specs[^1].Outputs;

    ImmutableList<LayerSpec> Specs { get; init; } = [];

    StackBuilder Add(LayerSpec layer) => this with { Specs = Specs.Add(layer) };

    /// <summary>A dense layer to <paramref name="outputs"/> features: <see cref="CoreLinear.Init"/>, <see cref="CoreLinear.Apply"/>.</summary>
    public StackBuilder Linear(int outputs) => Add(new LayerSpec(nameof(Linear), outputs, Checks.AtLeastOne("Linear.outputs", outputs),
        (generator, device) => CoreLinear.Init(generator, Outputs, outputs, device), (p, x, _) => CoreLinear.Apply((LinearParams)p, x)));

    /// <summary>An elementwise activation: <see cref="Activations.Apply"/>; its entry is the <see cref="CoreActivation"/>.</summary>
    public StackBuilder Activation(CoreActivation activation) => Add(new LayerSpec(nameof(Activation), Outputs,
        Enum.IsDefined(activation) ? [] : Prelude.Seq1(new ConfigurationError("Activation.activation", activation, "is not a defined activation")),
        (_, _) => activation, (p, x, _) => Activations.Apply((CoreActivation)p, x)));

    /// <summary><see cref="Activation"/> with <see cref="CoreActivation.Relu"/>.</summary>
    public StackBuilder Relu() => Activation(CoreActivation.Relu);

    /// <summary><see cref="Activation"/> with <see cref="CoreActivation.Gelu"/>.</summary>
    public StackBuilder Gelu() => Activation(CoreActivation.Gelu);

    /// <summary><see cref="Activation"/> with <see cref="CoreActivation.Tanh"/>.</summary>
    public StackBuilder Tanh() => Activation(CoreActivation.Tanh);

    /// <summary>Dropout at <paramref name="rate"/> in [0, 1) while training: <see cref="CoreDropout.Apply"/> with the context's generator; its entry is the rate.</summary>
    public StackBuilder Dropout(double rate) => Add(new LayerSpec(nameof(Dropout), Outputs, Checks.Decay("Dropout.rate", rate),
        (_, _) => rate, (p, x, context) => CoreDropout.Apply(x, (double)p, context.Training, context.Generator)));

    /// <summary>Layer normalisation over the features: <see cref="CoreLayerNorm.Init"/>, <see cref="CoreLayerNorm.Apply"/>.</summary>
    public StackBuilder LayerNorm() => Add(new LayerSpec(nameof(LayerNorm), Outputs, [],
        (_, device) => CoreLayerNorm.Init(Outputs, device), (p, x, _) => CoreLayerNorm.Apply((LayerNormParams)p, x)));

    /// <summary>A two-layer perceptron: <see cref="CoreFeedForward.Init"/>, <see cref="CoreFeedForward.Apply"/>.</summary>
    public StackBuilder FeedForward(int hidden, int outputs, CoreActivation activation) => Add(new LayerSpec(nameof(FeedForward), outputs,
        Checks.AtLeastOne("FeedForward.hidden", hidden) + Checks.AtLeastOne("FeedForward.outputs", outputs),
        (generator, device) => CoreFeedForward.Init(generator, Outputs, hidden, outputs, activation, device), (p, x, _) => CoreFeedForward.Apply((FeedForwardParams)p, x)));

    /// <summary>
    /// A residual block <c>x + block(x)</c>: <paramref name="block"/> builds the inner stack from an empty one of this
    /// width, and must end at this width. Its entry is the inner stack's <see cref="StackParams"/>.
    /// </summary>
    public StackBuilder Residual(Func<StackBuilder, StackBuilder> block) => Nested(nameof(Residual), block(Sequential.Input(Outputs)), residual: true);

    /// <summary>Another stack used as one layer (a custom layer made of existing ones); its input width must be this stack's output width.</summary>
    public StackBuilder Then(StackBuilder stack) => Nested(nameof(Then), stack, residual: false);

    /// <summary>
    /// A custom layer: <paramref name="init"/> makes its parameter record from the generator, its input width and the
    /// device; <paramref name="forward"/> applies it; it gives <paramref name="outputs"/> features.
    /// </summary>
    public StackBuilder Layer<TParams>(string name, int outputs, Func<torch.Generator, int, torch.Device, TParams> init, Forward<TParams> forward) where TParams : notnull =>
        Add(new LayerSpec(name, outputs, Checks.AtLeastOne($"{name}.outputs", outputs), (generator, device) => init(generator, Outputs, device), (p, x, context) => forward((TParams)p, x, context)));

    StackBuilder Nested(string name, StackBuilder inner, bool residual)
    {
        var mismatch = residual && inner.Outputs != Outputs
            ? Prelude.Seq1(new ConfigurationError(name, inner.Outputs, $"the block ends with {inner.Outputs} features but its input has {Outputs}; a residual block keeps the width"))
            : !residual && inner.Inputs != Outputs
                ? Prelude.Seq1(new ConfigurationError(name, inner.Inputs, $"the stack takes {inner.Inputs} features but the layer before gives {Outputs}"))
                : [];
        return Add(new LayerSpec(name, inner.Outputs, inner.LayerErrors() + mismatch, (generator, device) => inner.Init(generator, device),
            residual ? (p, x, context) => Residual(inner.Specs, (StackParams)p, x, context) : (p, x, context) => Stacks.Apply(inner.Specs, (StackParams)p, x, context)));
    }

    static torch.Tensor Residual(IReadOnlyList<LayerSpec> block, StackParams parameters, torch.Tensor x, StepContext context)
    {
        using var inner = Stacks.Apply(block, parameters, x, context);
        return x.add(inner, Scalars.One);
    }

    /// <summary>Every configuration error of the stack (empty when valid), settings prefixed by the layer's tree path.</summary>
    public Seq<ConfigurationError> Validate() => Checks.AtLeastOne("Input.features", Inputs) + LayerErrors();

    Seq<ConfigurationError> LayerErrors() =>
        Specs.SelectMany((layer, i) => layer.Errors.Map(e => e with { Setting = $"layers/{i}{(e.Setting.StartsWith("layers/") ? "/" : " ")}{e.Setting}" })).ToSeq();

    StackParams Init(torch.Generator generator, torch.Device device) => new(Specs.Select(layer => layer.Init(generator, device)).ToArray());

    /// <summary>The parameters (drawn in layer order from <paramref name="generator"/>, float32 on <paramref name="device"/>) and the forward function.</summary>
    /// <exception cref="ConfigurationException">The stack is invalid; it lists every error.</exception>
    public Model<StackParams> Build(torch.Generator generator, torch.Device device)
    {
        var errors = Validate();
        if (!errors.IsEmpty) throw new ConfigurationException("Layer stack", errors);
        var specs = Specs;
        return new Model<StackParams>(Init(generator, device), (parameters, input, context) => Stacks.Apply(specs, parameters, input, context));
    }
}
