using Microsoft.ML.OnnxRuntime;

namespace Functional.Inference;

/// <summary>
/// An ONNX model loaded into ONNX Runtime, checked on the way in and at every run. Loading a file that is missing,
/// truncated, not an ONNX model, or whose graph does not type-check (shapes that do not fit, an unknown operator) is
/// refused with an <see cref="InvalidDataException"/> naming the file and ONNX Runtime's reason; nothing of it runs.
/// A run refuses missing, unknown or ill-shaped inputs with an <see cref="ArgumentException"/> naming the input and the
/// expected and actual shape and type.
/// </summary>
/// <remarks>Owns its session: dispose it once. Runs are not synchronised; use one model per thread or lock around <see cref="Run(IReadOnlyCollection{NamedOnnxValue})"/>.</remarks>
public sealed class OnnxModel : IDisposable
{
    readonly InferenceSession session;

    OnnxModel(string source, InferenceSession session)
    {
        Source = source;
        this.session = session;
    }

    /// <summary>Where the model came from (its path, or a description of the bytes).</summary>
    public string Source { get; }

    /// <summary>The declared inputs: name → (element type, dimensions with -1 for a symbolic one), in the graph's order.</summary>
    public IReadOnlyDictionary<string, (Type Element, int[] Dimensions)> Inputs =>
        session.InputMetadata.ToDictionary(pair => pair.Key, pair => (pair.Value.ElementType, pair.Value.Dimensions));

    /// <summary>The declared output names, in the graph's order.</summary>
    public IReadOnlyList<string> Outputs => [.. session.OutputMetadata.Keys];

    /// <summary>Loads the <c>.onnx</c> file at <paramref name="path"/> with <paramref name="threads"/> intra-op threads.</summary>
    public static OnnxModel Load(string path, int threads = 1)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No ONNX model at '{path}'.", path);
        return Create(path, options => new InferenceSession(path, options), threads);
    }

    /// <summary>Loads a model from its bytes; <paramref name="source"/> names it in errors.</summary>
    public static OnnxModel FromBytes(byte[] model, string source, int threads = 1) =>
        Create(source, options => new InferenceSession(model, options), threads);

    static OnnxModel Create(string source, Func<SessionOptions, InferenceSession> open, int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "At least one thread.");
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        try
        {
            return new OnnxModel(source, open(options));
        }
        catch (OnnxRuntimeException error)
        {
            throw new InvalidDataException(
                $"'{source}' is not a loadable ONNX model (a truncated or corrupt file, or a graph whose shapes or operators do not fit): {error.Message}", error);
        }
    }

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (exactly the declared inputs, each of the declared element type,
    /// rank and fixed sizes); returns the outputs, which the caller disposes.
    /// </summary>
    public IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs)
    {
        Check(inputs.Select(input => (input.Name, Describe(input))).ToList());
        return session.Run(inputs);
    }

    /// <summary>
    /// Runs the model on native values (<paramref name="inputs"/>: exactly the declared inputs, each of the declared element
    /// type, rank and fixed sizes, as <see cref="Run(IReadOnlyCollection{NamedOnnxValue})"/> checks them) and returns
    /// <paramref name="outputs"/> in that order, which the caller disposes. Nothing is copied to managed memory, so an
    /// output can be fed to the next run as it is (a cache that grows step by step).
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyCollection<string> outputs)
    {
        Check(inputs.Select(pair => (pair.Key, Describe(pair.Key, pair.Value))).ToList());
        using var options = new RunOptions();
        return session.Run(options, inputs, outputs);
    }

    void Check(IReadOnlyList<(string Name, (Type Element, int[] Dimensions) Given)> inputs)
    {
        var declared = session.InputMetadata;
        var given = inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var missing = declared.Keys.Where(name => !given.Contains(name)).ToList();
        if (missing.Count > 0) throw new ArgumentException($"{Source}: missing input(s) {string.Join(", ", missing)} (the model takes {string.Join(", ", declared.Keys)}).", nameof(inputs));
        foreach (var (name, (element, dims)) in inputs)
        {
            if (!declared.TryGetValue(name, out var metadata))
                throw new ArgumentException($"{Source}: no input named '{name}' (the model takes {string.Join(", ", declared.Keys)}).", nameof(inputs));
            if (element != metadata.ElementType || dims.Length != metadata.Dimensions.Length
                || dims.Zip(metadata.Dimensions).Any(pair => pair.Second >= 0 && pair.First != pair.Second))
                throw new ArgumentException(
                    $"{Source}: input '{name}' must be {metadata.ElementType.Name} {Format(metadata.Dimensions)} (-1: any size), got {element.Name} {Format(dims)}.", nameof(inputs));
        }
    }

    static (Type Element, int[] Dimensions) Describe(string name, OrtValue value)
    {
        if (!value.IsTensor) throw new ArgumentException($"Input '{name}' is not a tensor.", nameof(value));
        var info = value.GetTensorTypeAndShape();
        var element = info.ElementDataType switch
        {
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => typeof(float),
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 => typeof(long),
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int32 => typeof(int),
            Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Bool => typeof(bool),
            var other => throw new ArgumentException($"Input '{name}' is a {other} tensor, not a float, long, int or bool tensor.", nameof(value)),
        };
        return (element, info.Shape.Select(d => (int)d).ToArray());
    }

    /// <summary>Disposes the session.</summary>
    public void Dispose() => session.Dispose();

    static (Type Element, int[] Dimensions) Describe(NamedOnnxValue input) => input.Value switch
    {
        Microsoft.ML.OnnxRuntime.Tensors.Tensor<float> t => (typeof(float), t.Dimensions.ToArray()),
        Microsoft.ML.OnnxRuntime.Tensors.Tensor<long> t => (typeof(long), t.Dimensions.ToArray()),
        Microsoft.ML.OnnxRuntime.Tensors.Tensor<int> t => (typeof(int), t.Dimensions.ToArray()),
        Microsoft.ML.OnnxRuntime.Tensors.Tensor<bool> t => (typeof(bool), t.Dimensions.ToArray()),
        _ => throw new ArgumentException($"Input '{input.Name}' is a {input.Value?.GetType().Name ?? "null"}, not a float, long, int or bool tensor."),
    };

    static string Format(IEnumerable<int> dims) => $"[{string.Join(", ", dims)}]";
}
