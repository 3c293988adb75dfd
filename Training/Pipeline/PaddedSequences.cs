using TorchSharp;

namespace Functional.Training;

/// <summary>A batch of id sequences padded to a common length, with its mask.</summary>
/// <param name="Ids">int64 [batch, length]; padded positions hold the padding id.</param>
/// <param name="Mask">bool [batch, length]; true at real tokens (each row's first <c>length</c> positions).</param>
public sealed record PaddedSequences(torch.Tensor Ids, torch.Tensor Mask) : IDisposable
{
    /// <summary>
    /// Pads <paramref name="sequences"/> with <paramref name="paddingId"/> to the longest one (at least
    /// <paramref name="minimumLength"/>) and builds the mask from each sequence's length.
    /// </summary>
    /// <exception cref="ArgumentException">There are no sequences.</exception>
    public static PaddedSequences Collate(IReadOnlyList<int[]> sequences, int paddingId, int minimumLength)
    {
        if (sequences.Count == 0) throw new ArgumentException("A batch needs at least one sequence.", nameof(sequences));
        var length = Math.Max(minimumLength, sequences.Max(s => s.Length));
        var ids = new long[sequences.Count * length];
        var mask = new bool[sequences.Count * length];
        Array.Fill(ids, paddingId);
        for (var row = 0; row < sequences.Count; row++)
            for (var position = 0; position < sequences[row].Length; position++)
            {
                ids[row * length + position] = sequences[row][position];
                mask[row * length + position] = true;
            }
        return new PaddedSequences(torch.tensor(ids, [sequences.Count, length]), torch.tensor(mask, [sequences.Count, length]));
    }

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Ids.Dispose();
        Mask.Dispose();
    }
}
