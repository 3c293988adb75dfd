using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Functional.Inference.Titles;

/// <summary>A graph output copied to the host (float, long or bool elements) with its dimensions; rows are its first dimension.</summary>
/// <param name="Values">The elements, row-major.</param>
/// <param name="Dimensions">The shape.</param>
sealed record HostArray(Array Values, int[] Dimensions)
{
    /// <summary>Copies <paramref name="output"/> of the graph at <paramref name="source"/>.</summary>
    public static HostArray Of(DisposableNamedOnnxValue output, string source) => output.Value switch
    {
        DenseTensor<float> t => new HostArray(t.Buffer.ToArray(), t.Dimensions.ToArray()),
        DenseTensor<long> t => new HostArray(t.Buffer.ToArray(), t.Dimensions.ToArray()),
        DenseTensor<bool> t => new HostArray(t.Buffer.ToArray(), t.Dimensions.ToArray()),
        _ => throw new InvalidDataException($"{source}: output '{output.Name}' is not a float, long or bool tensor."),
    };

    /// <summary>Rows <paramref name="selection"/> (in order, repeats allowed) as an input named <paramref name="name"/>.</summary>
    public NamedOnnxValue Select(string name, long[] selection) => Values switch
    {
        float[] values => NamedOnnxValue.CreateFromTensor(name, Select(values, selection)),
        long[] values => NamedOnnxValue.CreateFromTensor(name, Select(values, selection)),
        bool[] values => NamedOnnxValue.CreateFromTensor(name, Select(values, selection)),
        _ => throw new InvalidOperationException($"Input '{name}' has an unexpected element type."),
    };

    DenseTensor<T> Select<T>(T[] values, long[] selection)
    {
        var size = Dimensions[0] == 0 ? 0 : values.Length / Dimensions[0];
        var selected = new T[selection.Length * size];
        for (var r = 0; r < selection.Length; r++) Array.Copy(values, selection[r] * size, selected, r * size, size);
        return new DenseTensor<T>(selected, [selection.Length, .. Dimensions[1..]]);
    }
}
