using Functional.Core;
using Functional.Training;
using TorchSharp;

namespace Functional.Models.Digits;

/// <summary>
/// The <see cref="ConvDigitClassifier"/> in the names and layouts of its obvious PyTorch port (tools/interop_pytorch.py's
/// <c>DigitPort</c>: <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>fc</c>, channels-first, flattened C·H·W), so
/// that <c>load_state_dict(strict=True)</c> takes it and the port computes our logits.
/// </summary>
/// <remarks>
/// Two things differ from our record's own tree paths, and only the second changes any number: the batch-norm
/// buffers live in the model state (<c>first/running_mean</c>) rather than beside the parameters
/// (<c>bn1.running_mean</c>), and our images are channels-last, so the features reaching the output layer are flattened
/// H·W·C where PyTorch's <c>torch.flatten</c> of an NCHW map gives C·H·W. The output weight's input columns are
/// permuted accordingly; every other tensor is carried as it is (convolution weights are PyTorch's
/// [out, in, kh, kw] layout already).
/// </remarks>
public static class ConvDigitPyTorch
{
    /// <summary>The side of the last feature map (28 pooled twice).</summary>
    const int MapSide = 7;

    /// <summary>
    /// The port's state dict: fresh tensors named <c>conv1.weight</c>, <c>bn1.weight</c>, <c>bn1.bias</c>,
    /// <c>bn1.running_mean</c>, <c>bn1.running_var</c>, <c>bn1.num_batches_tracked</c>, the same for <c>conv2</c>/<c>bn2</c>,
    /// <c>fc.weight</c> (columns in C·H·W order) and <c>fc.bias</c>. Pure: the model and stats are not changed.
    /// </summary>
    public static IReadOnlyList<NamedTensor> StateDict(ConvDigitClassifier model, ConvDigitStats stats)
    {
        var channels = model.SecondConv.Weight.shape[0];
        var tensors = new List<NamedTensor>
        {
            new("conv1.weight", model.FirstConv.Weight.detach().alias()),
            new("conv2.weight", model.SecondConv.Weight.detach().alias()),
            new("fc.weight", ChannelsFirstColumns(model.Output.Weight.detach(), channels)),
        };
        if (model.Output.Bias is { } bias) tensors.Add(new("fc.bias", bias.detach().alias()));
        foreach (var (name, norm, stat) in new[] { ("bn1", model.FirstNorm, stats.First), ("bn2", model.SecondNorm, stats.Second) })
            tensors.AddRange(
            [
                new($"{name}.weight", norm.Weight.detach().alias()), new($"{name}.bias", norm.Bias.detach().alias()),
                new($"{name}.running_mean", stat.RunningMean.detach().alias()), new($"{name}.running_var", stat.RunningVar.detach().alias()),
                new($"{name}.num_batches_tracked", stat.BatchesTracked.detach().alias()),
            ]);
        return tensors;
    }

    /// <summary>
    /// The output weight [outputs, 7·7·channels] with its input columns reordered from our H·W·C flatten to PyTorch's
    /// C·H·W: column c·49 + h·7 + w of the result is column (h·7 + w)·channels + c of <paramref name="weight"/>. A fresh
    /// tensor (a copy; a view when <paramref name="channels"/> is 1, where both orders agree).
    /// </summary>
    /// <exception cref="ArgumentException">The weight is not [outputs, 49·<paramref name="channels"/>].</exception>
    public static torch.Tensor ChannelsFirstColumns(torch.Tensor weight, long channels)
    {
        Check(weight, channels);
        using var grid = weight.reshape(weight.shape[0], MapSide, MapSide, channels);
        using var permuted = grid.permute(0, 3, 1, 2);
        return permuted.reshape(weight.shape[0], -1);
    }

    /// <summary>The inverse of <see cref="ChannelsFirstColumns"/>: a PyTorch port's fc weight in our H·W·C column order.</summary>
    /// <exception cref="ArgumentException">The weight is not [outputs, 49·<paramref name="channels"/>].</exception>
    public static torch.Tensor ChannelsLastColumns(torch.Tensor weight, long channels)
    {
        Check(weight, channels);
        using var grid = weight.reshape(weight.shape[0], channels, MapSide, MapSide);
        using var permuted = grid.permute(0, 2, 3, 1);
        return permuted.reshape(weight.shape[0], -1);
    }

    static void Check(torch.Tensor weight, long channels)
    {
        if (weight.dim() != 2 || weight.shape[1] != MapSide * MapSide * channels)
            throw new ArgumentException($"The output weight must be [outputs, {MapSide * MapSide * channels}] (7·7·{channels} features), got {Shapes.Describe(weight)}.", nameof(weight));
    }
}
