using TorchSharp;

namespace Functional.Onnx;

/// <summary>
/// An ONNX graph being written: inputs, outputs, initializers (the parameters, copied when added) and nodes, in the
/// order added, then serialised as a standard <c>.onnx</c> model (IR version 8, the default opset 17) by
/// <see cref="ToModel"/>. Each layer's exporter adds its nodes under its tree path and returns the name of its output.
/// </summary>
/// <remarks>
/// A graph is a builder (it accumulates what is added) and is used by one exporter at a time. Names must be unique: a
/// repeated initializer, input or node name is an <see cref="ArgumentException"/> naming it. Tensors are read, never
/// mutated or kept.
/// </remarks>
public sealed class OnnxGraph(string name)
{
    /// <summary>The default opset: 17.</summary>
    public const int DefaultOpset = 17;

    readonly List<ProtoWriter> nodes = [];
    readonly List<ProtoWriter> initializers = [];
    readonly List<ProtoWriter> inputs = [];
    readonly List<ProtoWriter> outputs = [];
    readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>
    /// Declares a graph input of <paramref name="type"/> and shape <paramref name="dims"/>, where a negative size is a
    /// symbolic dimension (named <c>&lt;name&gt;_dim&lt;i&gt;</c>, e.g. a variable batch). Returns its name.
    /// </summary>
    public string Input(string name, torch.ScalarType type, params long[] dims)
    {
        Claim(name);
        inputs.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="name"/> (a node's output) as a graph output of <paramref name="type"/> and shape <paramref name="dims"/>.</summary>
    public void Output(string name, torch.ScalarType type, params long[] dims) => outputs.Add(ValueInfo(name, type, dims));

    /// <summary>Adds <paramref name="value"/> (copied, on any device) as an initializer named <paramref name="name"/>; returns the name.</summary>
    public string Initializer(string name, torch.Tensor value)
    {
        Claim(name);
        using var cpu = value.detach().cpu().contiguous();
        initializers.Add(new ProtoWriter().Packed(1, cpu.shape).Int(2, ElementType(cpu.dtype, name)).String(8, name).Bytes(9, cpu.bytes));
        return name;
    }

    /// <summary>
    /// Adds a node of operator <paramref name="op"/> named <paramref name="name"/> reading <paramref name="inputs"/>
    /// (an empty string for an omitted optional input) with one output named <paramref name="name"/>; returns the
    /// output's name.
    /// </summary>
    public string Node(string op, string name, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes)
    {
        Claim(name);
        var node = new ProtoWriter();
        foreach (var input in inputs) node.String(1, input);
        node.String(2, name).String(3, name).String(4, op);
        foreach (var attribute in attributes) node.Message(5, attribute.ToProto());
        nodes.Add(node);
        return name;
    }

    /// <summary>
    /// Adds a node of operator <paramref name="op"/> named <paramref name="name"/> with several outputs, named
    /// <c>&lt;name&gt;/&lt;output&gt;</c> for each of <paramref name="outputs"/> (an empty string leaves that optional output
    /// out); returns the output names in order (empty where left out).
    /// </summary>
    public string[] Node(string op, string name, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxAttribute[] attributes)
    {
        Claim(name);
        var node = new ProtoWriter();
        foreach (var input in inputs) node.String(1, input);
        var names = new string[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            names[i] = outputs[i].Length == 0 ? "" : $"{name}/{outputs[i]}";
            if (names[i].Length > 0) Claim(names[i]);
            node.String(2, names[i]);
        }
        node.String(3, name).String(4, op);
        foreach (var attribute in attributes) node.Message(5, attribute.ToProto());
        nodes.Add(node);
        return names;
    }

    /// <summary>Adds a float32 scalar initializer named <paramref name="name"/>; returns the name.</summary>
    public string Scalar(string name, float value)
    {
        using var tensor = torch.tensor(value);
        return Initializer(name, tensor);
    }

    /// <summary>Adds an int64 vector initializer named <paramref name="name"/> (axes, shapes); returns the name.</summary>
    public string Int64s(string name, params long[] values)
    {
        using var tensor = torch.tensor(values);
        return Initializer(name, tensor);
    }

    /// <summary>The ModelProto bytes of the graph (IR version 8, the default ONNX domain at <paramref name="opset"/>).</summary>
    public byte[] ToModel(int opset = DefaultOpset)
    {
        var graph = new ProtoWriter();
        foreach (var node in nodes) graph.Message(1, node);
        graph.String(2, name);
        foreach (var initializer in initializers) graph.Message(5, initializer);
        foreach (var input in inputs) graph.Message(11, input);
        foreach (var output in outputs) graph.Message(12, output);
        return new ProtoWriter()
            .Int(1, 8)
            .String(2, "Functional.Onnx")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, opset))
            .ToArray();
    }

    /// <summary>Writes <see cref="ToModel"/> to <paramref name="path"/> (a standard <c>.onnx</c> file).</summary>
    public void Save(string path, int opset = DefaultOpset) => File.WriteAllBytes(path, ToModel(opset));

    void Claim(string name)
    {
        if (string.IsNullOrEmpty(name) || !names.Add(name))
            throw new ArgumentException($"The ONNX graph already has a value named '{name}' (names of inputs, initializers and nodes must be unique and not empty).", nameof(name));
    }

    static ProtoWriter ValueInfo(string name, torch.ScalarType type, long[] dims)
    {
        var shape = new ProtoWriter();
        for (var i = 0; i < dims.Length; i++)
            shape.Message(1, dims[i] >= 0 ? new ProtoWriter().Int(1, dims[i]) : new ProtoWriter().String(2, $"{name}_dim{i}"));
        var tensor = new ProtoWriter().Int(1, ElementType(type, name)).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor));
    }

    /// <summary>ONNX's TensorProto.DataType of a libtorch type.</summary>
    static int ElementType(torch.ScalarType type, string name) => type switch
    {
        torch.ScalarType.Float32 => 1, torch.ScalarType.Byte => 2, torch.ScalarType.Int8 => 3, torch.ScalarType.Int16 => 5,
        torch.ScalarType.Int32 => 6, torch.ScalarType.Int64 => 7, torch.ScalarType.Bool => 9, torch.ScalarType.Float16 => 10,
        torch.ScalarType.Float64 => 11, torch.ScalarType.BFloat16 => 16,
        _ => throw new ArgumentException($"'{name}' is {type}, which this ONNX writer does not map.", nameof(type)),
    };
}
