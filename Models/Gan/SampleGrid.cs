using Functional.Core;
using SkiaSharp;
using TorchSharp;

namespace Functional.Models.Gan;

/// <summary>The size of a written grid image, in pixels.</summary>
/// <param name="Width">Pixels across.</param>
/// <param name="Height">Pixels down.</param>
public sealed record GridSize(int Width, int Height);

/// <summary>
/// Writes digits as one greyscale PNG: a grid of 28x28 tiles, row by row, ink white on black, separated and framed by
/// a grey gap, each image pixel drawn as a <c>scale</c> x <c>scale</c> block.
/// </summary>
public static class SampleGrid
{
    /// <summary>The gap between tiles, in image pixels (before scaling).</summary>
    public const int Gap = 2;

    const int Side = 28;
    const byte GapGrey = 96;

    /// <summary>127.5: maps [0, 2] (pixels shifted from [-1, 1]) onto the grey levels [0, 255].</summary>
    static readonly Scalar HalfBrightest = 127.5f.ToScalar();

    /// <summary>The pixel size of a grid of <paramref name="rows"/> x <paramref name="columns"/> tiles at <paramref name="scale"/>.</summary>
    public static GridSize Size(int rows, int columns, int scale) =>
        new(scale * (columns * (Side + Gap) + Gap), scale * (rows * (Side + Gap) + Gap));

    /// <summary>
    /// Writes <paramref name="images"/> [count, 784] with pixels in [-1, 1] (values outside are clamped) to
    /// <paramref name="path"/> as a PNG of <paramref name="columns"/> tiles per row (the last row may be partly
    /// empty); returns its pixel size, <see cref="Size"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The images are not [count ≥ 1, 784], or columns or scale is below 1.</exception>
    public static GridSize WritePng(string path, torch.Tensor images, int columns, int scale)
    {
        if (images.dim() != 2 || images.shape[1] != Side * Side || images.shape[0] < 1)
            throw new ArgumentException($"A sample grid needs images [count >= 1, {Side * Side}], got {Core.Shapes.Describe(images)}.", nameof(images));
        if (columns < 1 || scale < 1) throw new ArgumentException($"Columns and scale must be at least 1, got {columns} and {scale}.");
        var count = (int)images.shape[0];
        var rows = (count + columns - 1) / columns;
        var size = Size(rows, columns, scale);
        byte[] grey;
        using (torch.no_grad())
        using (var bytes = images.detach().to(torch.float32).cpu().clamp(Scalars.MinusOne, Scalars.One).add(Scalars.One, Scalars.One).mul(HalfBrightest).round().to(torch.uint8))
            grey = bytes.data<byte>().ToArray();

        var canvas = new byte[size.Width * size.Height];
        Array.Fill(canvas, GapGrey);
        for (var i = 0; i < count; i++)
        {
            var (left, top) = (Gap + i % columns * (Side + Gap), Gap + i / columns * (Side + Gap));
            for (var y = 0; y < Side * scale; y++)
            for (var x = 0; x < Side * scale; x++)
                canvas[(top * scale + y) * size.Width + left * scale + x] = grey[i * Side * Side + y / scale * Side + x / scale];
        }

        using var bitmap = new SKBitmap(new SKImageInfo(size.Width, size.Height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (var row = 0; row < size.Height; row++)
            System.Runtime.InteropServices.Marshal.Copy(canvas, row * size.Width, bitmap.GetPixels() + row * bitmap.RowBytes, size.Width);
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        png.SaveTo(file);
        return size;
    }
}
