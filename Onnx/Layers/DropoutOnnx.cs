using Functional.Core;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="Dropout.Apply"/> at inference (<c>training: false</c>): the identity.</summary>
public static class DropoutOnnx
{
    /// <summary>
    /// Adds an <c>Identity</c> at <paramref name="path"/>: an exported model is an inference model, and dropout out of
    /// training returns its input unchanged (the rate is not written). Returns the output's name.
    /// </summary>
    public static string ExportInference(OnnxGraph graph, string path, string input) =>
        graph.Node("Identity", $"{path}/Dropout", [input]);
}
