using Functional.Core;
using TorchSharp;

namespace Functional.Distributed;

/// <summary>
/// The one all-reduce of a data-parallel step: the gradient leaves, the scalars (loss, metrics) and a stop flag packed
/// into one flat buffer, summed over the ranks, divided by the rank count and cut back into leaves.
/// </summary>
internal static class GradientBuffer
{
    /// <summary>What the all-reduce gives back.</summary>
    /// <param name="Gradients">The mean gradient per leaf (views of one fresh buffer, on the leaves' device).</param>
    /// <param name="Scalars">The mean of each element of the scalar tensors, in the order given.</param>
    /// <param name="Stop">Whether any rank raised the stop flag.</param>
    public sealed record Result(IReadOnlyList<torch.Tensor> Gradients, IReadOnlyList<double> Scalars, bool Stop);

    /// <summary>
    /// Sums <paramref name="gradients"/> and <paramref name="scalars"/> over all ranks with one <c>MPI_Allreduce</c> and
    /// divides by the rank count. Nothing given is changed; the results are fresh (call inside a dispose scope).
    /// </summary>
    /// <exception cref="ArgumentException">The gradients do not share one float dtype and device.</exception>
    public static Result AllReduceMean(Communicator communicator, IReadOnlyList<torch.Tensor> gradients, IReadOnlyList<torch.Tensor> scalars, bool stop)
    {
        if (gradients.Count == 0) throw new ArgumentException("There are no gradients to average.", nameof(gradients));
        var dtype = gradients[0].dtype;
        var device = gradients[0].device;
        if (dtype != torch.float32 && dtype != torch.float64)
            throw new ArgumentException($"Data-parallel gradients must be float32 or float64, got {dtype}.", nameof(gradients));
        if (gradients.FirstOrDefault(g => g.dtype != dtype || g.device_type != device.type) is { } other)
            throw new ArgumentException($"Data-parallel gradients must share one dtype and device: {dtype} on {device} and {other.dtype} on {other.device}.", nameof(gradients));
        return AllReduceMean(communicator, dtype, device, gradients, scalars, stop);
    }

    /// <summary>
    /// As <see cref="AllReduceMean(Communicator, IReadOnlyList{torch.Tensor}, IReadOnlyList{torch.Tensor}, bool)"/> with the
    /// buffer's <paramref name="dtype"/> and <paramref name="device"/> given, so <paramref name="tensors"/> may be empty
    /// (an overlapped step's tail: model state, loss, metrics and the stop flag, its gradients reduced already). The
    /// tensors must have that dtype and device.
    /// </summary>
    public static Result AllReduceMean(Communicator communicator, torch.ScalarType dtype, torch.Device device, IReadOnlyList<torch.Tensor> tensors, IReadOnlyList<torch.Tensor> scalars, bool stop)
    {
        var gradients = tensors;
        using var flag = torch.tensor(stop ? 1.0 : 0.0, dtype: dtype, device: device);
        var parts = gradients.Select(g => g.reshape(-1))
            .Concat(scalars.Select(s => s.to(dtype).reshape(-1)))
            .Append(flag.reshape(-1)).ToArray();
        var packed = torch.cat(parts, 0);
        var host = packed.is_cpu() ? packed : packed.cpu();
        communicator.AllReduceSum(host);
        using var ranks = communicator.Size.ToScalar();
        var mean = host.div(ranks);
        var onDevice = mean.device_type == device.type ? mean : mean.to(device);
        var leaves = new torch.Tensor[gradients.Count];
        long offset = 0;
        for (var i = 0; i < leaves.Length; i++)
        {
            var count = gradients[i].numel();
            leaves[i] = onDevice.narrow(0, offset, count).view(gradients[i].shape);
            offset += count;
        }
        using var tail = mean.narrow(0, offset, scalars.Sum(s => s.numel()) + 1).to(torch.float64);
        var values = tail.data<double>().ToArray();
        return new Result(leaves, values[..^1], values[^1] > 0);
    }
}
