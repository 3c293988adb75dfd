using Functional.Core;
using TorchSharp;

namespace Functional.Onnx;

/// <summary>The ONNX graph of <see cref="BatchNorm.Apply(BatchNormParams, BatchNormStats, TorchSharp.torch.Tensor, bool)"/> in evaluation (the running statistics), for channels-last input of any rank.</summary>
public static class BatchNormOnnx
{
    /// <summary>
    /// Adds the normalisation at <paramref name="path"/> reading [..., channels]; returns the same shape. Evaluation is
    /// an affine map per channel, so it is exported folded: <c>x · scale + shift</c> with scale = weight / √(running var + ε)
    /// and shift = bias − running mean · scale (computed here in float64, stored in the weight's dtype as
    /// <c>&lt;path&gt;/scale</c> and <c>&lt;path&gt;/shift</c>), broadcast over the last dimension.
    /// </summary>
    public static string ExportEvaluation(OnnxGraph graph, string path, BatchNormParams parameters, BatchNormStats stats, string input)
    {
        using var scope = torch.NewDisposeScope();
        using var epsilon = parameters.Epsilon.ToScalar();
        var variance = stats.RunningVar.to(torch.float64);
        var scale = parameters.Weight.to(torch.float64).div(variance.add(epsilon, Scalars.One).sqrt());
        var shift = parameters.Bias.to(torch.float64).sub(stats.RunningMean.to(torch.float64).mul(scale));
        var scaled = graph.Node("Mul", $"{path}/Mul", [input, graph.Initializer($"{path}/scale", scale.to(parameters.Weight.dtype))]);
        return graph.Node("Add", $"{path}/Add", [scaled, graph.Initializer($"{path}/shift", shift.to(parameters.Weight.dtype))]);
    }
}
