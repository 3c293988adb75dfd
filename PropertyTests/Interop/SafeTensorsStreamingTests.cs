using System.Buffers.Binary;
using System.Text;
using Functional.Core;
using Functional.Interop;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Interop;

/// <summary>A record with one float32 leaf <c>tail</c>, for the large-file test.</summary>
public sealed record TailRecord(torch.Tensor Tail);

/// <summary>The streaming safetensors reader: every dtype of the format, offsets past 2 GB, damaged files refused.</summary>
public sealed class SafeTensorsStreamingTests
{
    [Fact]
    public void Every_dtype_of_the_format_is_read_with_its_values_and_widened_where_libtorch_lacks_the_type()
    {
        using var scope = torch.NewDisposeScope();
        static byte[] Le<T>(T[] values, int size, Action<byte[], int, T> write)
        {
            var bytes = new byte[values.Length * size];
            for (var i = 0; i < values.Length; i++) write(bytes, i * size, values[i]);
            return bytes;
        }
        var file = RawSafeTensors.TemporaryPath(".safetensors");
        try
        {
            File.WriteAllBytes(file, RawSafeTensors.Bytes(
                new("u16", "U16", [3], Le<ushort>([0, 1, 65535], 2, (b, i, v) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(i), v))),
                new("u32", "U32", [2], Le<uint>([7, uint.MaxValue], 4, (b, i, v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i), v))),
                new("u64", "U64", [2], Le<ulong>([5, long.MaxValue], 8, (b, i, v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(i), v))),
                // E4M3 (fn): 0x38 = 1, 0x01 = 2^-9 (smallest subnormal), 0x7E = 448 (largest), 0xB8 = -1, 0x7F = NaN.
                new("e4m3", "F8_E4M3", [5], [0x38, 0x01, 0x7E, 0xB8, 0x7F]),
                // E5M2: 0x3C = 1, 0x01 = 2^-16, 0x7B = 57344 (largest), 0x7C = +inf, 0xFC = -inf, 0x7D = NaN.
                new("e5m2", "F8_E5M2", [6], [0x3C, 0x01, 0x7B, 0x7C, 0xFC, 0x7D]),
                new("i8", "I8", [2], [0x80, 0x7F]), new("u8", "U8", [2], [0, 255]), new("bool", "BOOL", [2], [0, 1]),
                new("i16", "I16", [1], [0x00, 0x80]), new("i32", "I32", [1], [0xFF, 0xFF, 0xFF, 0xFF]),
                new("i64", "I64", [1], BitConverter.GetBytes(-3L)), new("f64", "F64", [1], BitConverter.GetBytes(0.1)),
                new("f32", "F32", [1], BitConverter.GetBytes(0.1f)), new("f16", "F16", [1], [0x00, 0x3C]), new("bf16", "BF16", [1], [0x80, 0x3F])));
            using var source = SafeTensorsFile.Open(file);
            Assert.Equal(new long[] { 0, 1, 65535 }, Values<int>(source.Load("u16")).Select(v => (long)v));
            Assert.Equal(new long[] { 7, uint.MaxValue }, Values<long>(source.Load("u32")));
            Assert.Equal(new long[] { 5, long.MaxValue }, Values<long>(source.Load("u64")));
            var e4m3 = Values<float>(source.Load("e4m3"));
            Assert.Equal(new[] { 1f, MathF.ScaleB(1, -9), 448f, -1f }, e4m3[..4]);
            Assert.True(float.IsNaN(e4m3[4]));
            var e5m2 = Values<float>(source.Load("e5m2"));
            Assert.Equal(new[] { 1f, MathF.ScaleB(1, -16), 57344f, float.PositiveInfinity, float.NegativeInfinity }, e5m2[..5]);
            Assert.True(float.IsNaN(e5m2[5]));
            Assert.Equal(new sbyte[] { -128, 127 }, Values<sbyte>(source.Load("i8")));
            Assert.Equal(new byte[] { 0, 255 }, Values<byte>(source.Load("u8")));
            Assert.Equal(new[] { false, true }, Values<bool>(source.Load("bool")));
            Assert.Equal(new short[] { short.MinValue }, Values<short>(source.Load("i16")));
            Assert.Equal(new[] { -1 }, Values<int>(source.Load("i32")));
            Assert.Equal(new[] { -3L }, Values<long>(source.Load("i64")));
            Assert.Equal(new[] { 0.1 }, Values<double>(source.Load("f64")));
            Assert.Equal(new[] { 0.1f }, Values<float>(source.Load("f32")));
            Assert.Equal(1f, source.Load("f16").to(torch.float32).item<float>());
            Assert.Equal(1f, source.Load("bf16").to(torch.float32).item<float>());
            Assert.Equal(SafeTensorsDtypes.All.Select(d => d.Name).Order(), source.Entries.Select(e => e.Dtype).Order());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_u64_value_that_int64_cannot_hold_is_refused_naming_the_tensor()
    {
        var file = RawSafeTensors.TemporaryPath(".safetensors");
        try
        {
            File.WriteAllBytes(file, RawSafeTensors.Bytes(new RawTensor("counts", "U64", [1], BitConverter.GetBytes(ulong.MaxValue))));
            using var source = SafeTensorsFile.Open(file);
            var error = Assert.Throws<InvalidDataException>(() => source.Load("counts"));
            Assert.Contains("'counts' (U64) holds 18446744073709551615", error.Message);
            Assert.Contains(file, error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_tensor_past_the_2_gigabyte_mark_of_a_sparse_file_is_read_without_reading_what_precedes_it()
    {
        using var scope = torch.NewDisposeScope();
        const long skip = 3_000_000_000; // a U8 tensor of 3 GB that is never read (a hole in the sparse file)
        var tail = new[] { 1.5f, -2f, 3.25f, 1e-3f };
        var tailBytes = tail.SelectMany(BitConverter.GetBytes).ToArray();
        var header = Encoding.UTF8.GetBytes(
            $"{{\"skip\":{{\"dtype\":\"U8\",\"shape\":[{skip}],\"data_offsets\":[0,{skip}]}},\"tail\":{{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[{skip},{skip + 16}]}}}}");
        var length = (header.Length + 7) / 8 * 8;
        var file = RawSafeTensors.TemporaryPath(".safetensors");
        try
        {
            using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write))
            {
                var prefix = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)length);
                stream.Write(prefix);
                stream.Write(header);
                stream.Write(Enumerable.Repeat((byte)' ', length - header.Length).ToArray());
                stream.Position = 8 + length + skip;
                stream.Write(tailBytes);
            }
            Assert.True(new FileInfo(file).Length > int.MaxValue);
            var (record, report) = StateDict.Load(new TailRecord(torch.zeros(4)), file, ImportOptions.Default with { Strict = false });
            Assert.Equal(tail, record.Tail.data<float>().ToArray());
            Assert.Equal(["tail"], report.Loaded);
            Assert.Equal(["skip"], report.Unexpected);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_truncated_file_is_refused_naming_the_file_and_the_tensor_range()
    {
        var whole = RawSafeTensors.Bytes(new RawTensor("weight", "F32", [4], new byte[16]));
        var file = RawSafeTensors.TemporaryPath(".safetensors");
        try
        {
            File.WriteAllBytes(file, whole[..^5]);
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(new TailRecord(torch.zeros(4)), file, ImportOptions.Default));
            Assert.Contains($"not a valid model file: {file}: 'weight' data_offsets: [0, 16] outside the 11 data bytes", error.Message);
            File.WriteAllBytes(file, whole[..12]);
            error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(file));
            Assert.Contains("header length", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_shard_outside_the_index_folder_is_refused()
    {
        var folder = Directory.CreateTempSubdirectory("interop-").FullName;
        try
        {
            var index = Path.Combine(folder, "model.safetensors.index.json");
            File.WriteAllText(index, "{\"weight_map\": {\"tail\": \"../secret.safetensors\"}}");
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Open(index));
            Assert.Contains("shard '../secret.safetensors' is not a plain file name", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static T[] Values<T>(torch.Tensor tensor) where T : unmanaged => tensor.data<T>().ToArray();
}
