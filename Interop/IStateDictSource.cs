using TorchSharp;

namespace Functional.Interop;

/// <summary>
/// An opened state-dict file (or set of files): its tensors' names, dtypes and shapes known up front, each tensor read
/// only when asked for. Dispose it to close the file(s); tensors already read stay valid.
/// </summary>
public interface IStateDictSource : IDisposable
{
    /// <summary>The file's path (for a sharded set, its index), named in every error.</summary>
    string Source { get; }

    /// <summary>The tensors in the file, in the file's order.</summary>
    IReadOnlyList<StoredTensor> Entries { get; }

    /// <summary>
    /// A fresh CPU tensor with the stored values of <paramref name="name"/>; a dtype libtorch lacks is converted
    /// (see <see cref="SafeTensorsDtypes"/>).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    /// <exception cref="InvalidDataException">The stored bytes cannot be read (the file is truncated or damaged); the message names the file and the tensor.</exception>
    torch.Tensor Load(string name);
}
