using TorchSharp;

namespace Functional.Interop;

/// <summary>
/// Every dtype of the safetensors format and the libtorch type it is read as. libtorch (through TorchSharp 0.107) has
/// no unsigned type wider than 8 bits and no 8-bit float, so those are widened without loss where a wider type exists:
/// U16 → Int32, U32 → Int64, U64 → Int64 (a value of 2⁶³ or more is refused, naming the tensor), and F8_E4M3 (the
/// "fn" variant: no infinities, S.1111.111 is NaN) and F8_E5M2 (IEEE-like, with infinities) → Float32, each of the 256
/// codes decoded exactly by table. Loading into a record then casts to the record's dtype, as PyTorch's
/// <c>load_state_dict</c> does.
/// </summary>
public static class SafeTensorsDtypes
{
    /// <summary>One dtype: its name in the format, its size in bytes, and the libtorch type it is read as.</summary>
    /// <param name="Name">The format's name (<c>F32</c>).</param>
    /// <param name="Size">Bytes per element in the file.</param>
    /// <param name="ReadAs">The libtorch type of the tensor a read returns.</param>
    /// <param name="Native">True when the file's bytes are that type's bytes (no conversion).</param>
    public sealed record Dtype(string Name, int Size, torch.ScalarType ReadAs, bool Native);

    /// <summary>The dtypes of the format, in the order of its specification.</summary>
    public static IReadOnlyList<Dtype> All { get; } =
    [
        new("F64", 8, torch.ScalarType.Float64, true), new("F32", 4, torch.ScalarType.Float32, true),
        new("F16", 2, torch.ScalarType.Float16, true), new("BF16", 2, torch.ScalarType.BFloat16, true),
        new("I64", 8, torch.ScalarType.Int64, true), new("I32", 4, torch.ScalarType.Int32, true),
        new("I16", 2, torch.ScalarType.Int16, true), new("I8", 1, torch.ScalarType.Int8, true),
        new("U8", 1, torch.ScalarType.Byte, true), new("BOOL", 1, torch.ScalarType.Bool, true),
        new("U16", 2, torch.ScalarType.Int32, false), new("U32", 4, torch.ScalarType.Int64, false),
        new("U64", 8, torch.ScalarType.Int64, false),
        new("F8_E4M3", 1, torch.ScalarType.Float32, false), new("F8_E5M2", 1, torch.ScalarType.Float32, false),
    ];

    /// <summary>The dtype named <paramref name="name"/>, or null.</summary>
    public static Dtype? Find(string name) => All.FirstOrDefault(d => d.Name == name);

    /// <summary>The name of a libtorch type in the format, or null when it has none.</summary>
    public static string? NameOf(torch.ScalarType type) => All.FirstOrDefault(d => d.Native && d.ReadAs == type)?.Name;

    /// <summary>
    /// The values of <paramref name="raw"/> (the file's little-endian bytes of a non-native dtype) as
    /// <paramref name="dtype"/>'s <see cref="Dtype.ReadAs"/> type, written into <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A U64 value does not fit in Int64.</exception>
    internal static void Convert(Dtype dtype, ReadOnlySpan<byte> raw, Span<byte> destination, string source, string name)
    {
        switch (dtype.Name)
        {
            case "U16":
                for (var i = 0; i < raw.Length / 2; i++)
                    BitConverter.TryWriteBytes(destination[(4 * i)..], (int)BitConverter.ToUInt16(raw[(2 * i)..]));
                break;
            case "U32":
                for (var i = 0; i < raw.Length / 4; i++)
                    BitConverter.TryWriteBytes(destination[(8 * i)..], (long)BitConverter.ToUInt32(raw[(4 * i)..]));
                break;
            case "U64":
                for (var i = 0; i < raw.Length / 8; i++)
                {
                    var value = BitConverter.ToUInt64(raw[(8 * i)..]);
                    if (value > long.MaxValue)
                        throw new InvalidDataException($"not a valid model file: {source}: '{name}' (U64) holds {value} at element {i}, which Int64 (the type U64 is read as) cannot hold.");
                    BitConverter.TryWriteBytes(destination[(8 * i)..], (long)value);
                }
                break;
            case "F8_E4M3":
            case "F8_E5M2":
                var table = dtype.Name == "F8_E4M3" ? E4M3 : E5M2;
                for (var i = 0; i < raw.Length; i++) BitConverter.TryWriteBytes(destination[(4 * i)..], table[raw[i]]);
                break;
            default:
                throw new InvalidOperationException($"{dtype.Name} needs no conversion.");
        }
    }

    static readonly float[] E4M3 = Table(exponentBits: 4, mantissaBits: 3, bias: 7, infinities: false);
    static readonly float[] E5M2 = Table(exponentBits: 5, mantissaBits: 2, bias: 15, infinities: true);

    /// <summary>
    /// The float of each 8-bit code: sign, exponent, mantissa; exponent 0 is subnormal. With infinities (E5M2) the
    /// top exponent is IEEE's (mantissa 0 infinite, else NaN); without (E4M3 "fn") only the all-ones code is NaN.
    /// </summary>
    static float[] Table(int exponentBits, int mantissaBits, int bias, bool infinities)
    {
        var table = new float[256];
        var topExponent = (1 << exponentBits) - 1;
        var mantissaMask = (1 << mantissaBits) - 1;
        for (var code = 0; code < 256; code++)
        {
            var sign = (code & 0x80) != 0 ? -1.0 : 1.0;
            var exponent = (code >> mantissaBits) & topExponent;
            var mantissa = code & mantissaMask;
            double value;
            if (infinities && exponent == topExponent) value = mantissa == 0 ? double.PositiveInfinity : double.NaN;
            else if (!infinities && exponent == topExponent && mantissa == mantissaMask) value = double.NaN;
            else if (exponent == 0) value = Math.ScaleB(mantissa, 1 - bias - mantissaBits);
            else value = Math.ScaleB((1 << mantissaBits) + mantissa, exponent - bias - mantissaBits);
            table[code] = (float)(sign * value);
        }
        return table;
    }
}
