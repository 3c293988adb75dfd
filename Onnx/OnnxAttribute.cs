namespace Functional.Onnx;

/// <summary>A node attribute: a name and one value (an integer, a float, integers or a string).</summary>
/// <param name="Name">The operator's attribute name (<c>axis</c>, <c>alpha</c>).</param>
/// <param name="Value">A <c>long</c>, <c>float</c>, <c>long[]</c> or <c>string</c>.</param>
public sealed record OnnxAttribute(string Name, object Value)
{
    /// <summary>An integer attribute.</summary>
    public static OnnxAttribute Of(string name, long value) => new(name, value);

    /// <summary>A float attribute.</summary>
    public static OnnxAttribute Of(string name, float value) => new(name, value);

    /// <summary>An integers attribute.</summary>
    public static OnnxAttribute Of(string name, long[] values) => new(name, values);

    /// <summary>A string attribute.</summary>
    public static OnnxAttribute Of(string name, string value) => new(name, value);

    /// <summary>The AttributeProto message (field numbers and types of onnx.proto).</summary>
    internal ProtoWriter ToProto()
    {
        var proto = new ProtoWriter().String(1, Name);
        return Value switch
        {
            float f => proto.Float(2, f).Int(20, 1),
            long i => proto.Int(3, i).Int(20, 2),
            string s => proto.String(4, s).Int(20, 3),
            long[] ints => proto.Packed(8, ints).Int(20, 7),
            _ => throw new ArgumentException($"Attribute '{Name}': a {Value.GetType().Name} is not an ONNX attribute value (long, float, long[], string)."),
        };
    }
}
