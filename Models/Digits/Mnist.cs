using System.IO.Compression;
using System.Security.Cryptography;
using TorchSharp;

namespace Functional.Models.Digits;

/// <summary>Digit images and their labels.</summary>
/// <param name="Images">uint8 pixels, shape [count, 28, 28], 0 = background, 255 = ink.</param>
/// <param name="Labels">int64 digits 0-9, shape [count].</param>
public sealed record MnistData(torch.Tensor Images, torch.Tensor Labels);

/// <summary>
/// Reads the MNIST test split (10,000 digits) from its gzip-compressed IDX files and checks them against the
/// published checksums of the official files, as Keras's dataset loaders do.
/// </summary>
public static class Mnist
{
    /// <summary>Where the data set comes from.</summary>
    public const string Origin = "MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, http://yann.lecun.com/exdb/mnist/ (CC BY-SA 3.0)";

    /// <summary>The image file's name.</summary>
    public const string ImagesFile = "t10k-images-idx3-ubyte.gz";

    /// <summary>The label file's name.</summary>
    public const string LabelsFile = "t10k-labels-idx1-ubyte.gz";

    /// <summary>MD5 of the uncompressed official image file (the same whoever compressed it).</summary>
    public const string ImagesMd5 = "2646ac647ad5339dbf082846283269ea";

    /// <summary>MD5 of the uncompressed official label file.</summary>
    public const string LabelsMd5 = "27ae3e4e09519cfbb04c329615203637";

    /// <summary>
    /// Loads the images and labels from <paramref name="directory"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says where to get it.</exception>
    /// <exception cref="InvalidDataException">A file's content is not the official one, or is not IDX.</exception>
    public static MnistData Load(string directory)
    {
        var images = ReadVerified(directory, ImagesFile, ImagesMd5);
        var labels = ReadVerified(directory, LabelsFile, LabelsMd5);
        var (count, shape, pixels) = ParseIdx(images, ImagesFile, expectedMagic: 2051);
        var (labelCount, _, digits) = ParseIdx(labels, LabelsFile, expectedMagic: 2049);
        if (count != labelCount)
            throw new InvalidDataException($"{ImagesFile} has {count} images but {LabelsFile} has {labelCount} labels.");
        // The uint8 labels are a temporary: the scope disposes it, no finalizer frees it during the conversion (issue 31).
        using var scope = torch.NewDisposeScope();
        var data = new MnistData(
            torch.tensor(pixels.ToArray(), [count, shape[0], shape[1]], torch.uint8),
            torch.tensor(digits.ToArray(), torch.uint8).to(torch.int64));
        scope.MoveToOuter(data.Images, data.Labels);
        return data;
    }

    static byte[] ReadVerified(string directory, string name, string expectedMd5)
    {
        var path = Path.Combine(directory, name);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"MNIST file {path} not found. Pass the directory that holds {ImagesFile} and {LabelsFile} " +
                $"(in this repository's environment: ../shared/data/mnist-t10k). Origin: {Origin}.", path);
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var content = new MemoryStream();
        gzip.CopyTo(content);
        var bytes = content.ToArray();
        var md5 = Convert.ToHexStringLower(MD5.HashData(bytes));
        if (md5 != expectedMd5)
            throw new InvalidDataException($"{path} is not the official MNIST file: its uncompressed MD5 is {md5}, expected {expectedMd5}.");
        return bytes;
    }

    static (int Count, int[] Shape, ReadOnlyMemory<byte> Data) ParseIdx(byte[] bytes, string name, int expectedMagic)
    {
        var magic = ReadBigEndian(bytes, 0);
        if (magic != expectedMagic)
            throw new InvalidDataException($"{name}: IDX magic number {magic}, expected {expectedMagic}.");
        var dimensions = magic & 0xff;
        var count = ReadBigEndian(bytes, 4);
        var shape = Enumerable.Range(1, dimensions - 1).Select(d => ReadBigEndian(bytes, 4 + 4 * d)).ToArray();
        var start = 4 + 4 * dimensions;
        var length = (long)count * shape.Aggregate(1, (a, b) => a * b);
        if (bytes.Length - start != length)
            throw new InvalidDataException($"{name}: header promises {length} bytes of data, the file has {bytes.Length - start}.");
        return (count, shape, bytes.AsMemory(start));
    }

    static int ReadBigEndian(byte[] bytes, int at) => System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
}
