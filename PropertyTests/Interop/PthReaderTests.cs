using System.IO.Compression;
using System.Text;
using Functional.Interop;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Interop;

/// <summary>
/// The <c>.pth</c> reader on hand-made <c>torch.save</c> archives: a valid one loads; a truncated archive, a view that
/// does not fit its storage, a storage of the wrong size and a pickle that names another global are refused with the
/// file's name, and nothing is executed.
/// </summary>
public sealed class PthReaderTests
{
    [Fact]
    public void A_hand_made_state_dict_loads_with_its_strided_view()
    {
        using var scope = torch.NewDisposeScope();
        // Storage of 6 floats; "w" is its 2x2 view at offset 1 with strides (3, 1): elements 1, 2, 4, 5.
        var path = Archive(StateDictPickle("w", 6, [2, 2], [3, 1], offset: 1), Floats(0, 1, 2, 3, 4, 5));
        try
        {
            using var file = StateDict.Open(path);
            Assert.Equal("F32", Assert.Single(file.Entries).Dtype);
            Assert.Equal(new[] { 1f, 2f, 4f, 5f }, file.Load("w").data<float>().ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_view_larger_than_its_storage_is_refused()
    {
        var path = Archive(StateDictPickle("w", 4, [3, 3], [3, 1], offset: 0), Floats(0, 1, 2, 3));
        try
        {
            using var file = StateDict.Open(path);
            var error = Assert.Throws<InvalidDataException>(() => file.Load("w"));
            Assert.Contains($"{path}: 'w': shape [3, 3] with strides [3, 1] at offset 0 does not fit its storage of 4 elements", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_storage_with_fewer_bytes_than_its_elements_is_refused()
    {
        var path = Archive(StateDictPickle("w", 4, [4], [1], offset: 0), Floats(0, 1, 2));
        try
        {
            using var file = StateDict.Open(path);
            var error = Assert.Throws<InvalidDataException>(() => file.Load("w"));
            Assert.Contains("storage data/0 has 12 bytes, 4 F32 elements need 16", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_truncated_archive_is_refused_naming_the_file()
    {
        var path = Archive(StateDictPickle("w", 4, [4], [1], offset: 0), Floats(0, 1, 2, 3));
        try
        {
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Open(path).Dispose());
            Assert.StartsWith($"not a valid PyTorch file: {path}: not a torch.save zip archive", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_legacy_non_zip_format_is_refused_with_what_to_do()
    {
        var path = RawSafeTensors.TemporaryPath(".pt");
        try
        {
            File.WriteAllBytes(path, [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, (byte)'.']);
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Open(path).Dispose());
            Assert.Contains($"{path}: the legacy (pre-1.6, non-zip) torch.save format; load it in Python and save it again", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("posix", "system")]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("torch", "load")]
    [InlineData("subprocess", "Popen")]
    public void A_pickle_that_names_any_other_global_is_refused_before_anything_runs(string module, string name)
    {
        var marker = Path.Combine(Path.GetTempPath(), $"pwned-{Guid.NewGuid():N}");
        // GLOBAL module.name, (f"touch {marker}",), REDUCE, STOP: what pickle.load would run.
        var pickle = Concat([0x80, 0x02], Global(module, name), Unicode($"touch {marker}"), [0x85, (byte)'R', (byte)'.']);
        var path = Archive(pickle, []);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Open(path).Dispose());
            Assert.Contains($"refused global '{module}.{name}'", error.Message);
            Assert.Contains(path, error.Message);
            Assert.False(File.Exists(marker));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_opcode_that_builds_arbitrary_objects_is_refused()
    {
        // INST 'i' (module\nname\n after a mark) instantiates a class: not needed by a state dict.
        var path = Archive(Concat([0x80, 0x02, (byte)'('], Encoding.ASCII.GetBytes("i__main__\nEvil\n"), [(byte)'.']), []);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Open(path).Dispose());
            Assert.Contains("refused pickle opcode 0x69 ('i')", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// OrderedDict([(name, _rebuild_tensor_v2(storage 0 of FloatStorage with elements, offset, shape, strides, False,
    /// OrderedDict()))]) as protocol 2 writes it.
    /// </summary>
    static byte[] StateDictPickle(string name, int elements, int[] shape, int[] strides, int offset) => Concat(
        [0x80, 0x02], Global("collections", "OrderedDict"), [(byte)')', (byte)'R', (byte)'('], Unicode(name),
        Global("torch._utils", "_rebuild_tensor_v2"), [(byte)'(', (byte)'('], Unicode("storage"), Global("torch", "FloatStorage"),
        Unicode("0"), Unicode("cpu"), Int(elements), [(byte)'t', (byte)'Q'], Int(offset), Tuple(shape), Tuple(strides), [0x89],
        Global("collections", "OrderedDict"), [(byte)')', (byte)'R', (byte)'t', (byte)'R', (byte)'u', (byte)'.']);

    static string Archive(byte[] pickle, byte[] storage)
    {
        var path = RawSafeTensors.TemporaryPath(".pt");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var stream = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) stream.Write(pickle);
        using (var stream = zip.CreateEntry("archive/data/0", CompressionLevel.NoCompression).Open()) stream.Write(storage);
        using (var stream = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open()) stream.Write("3\n"u8);
        return path;
    }

    static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();
    static byte[] Global(string module, string name) => Encoding.ASCII.GetBytes($"c{module}\n{name}\n");
    static byte[] Unicode(string text) => Concat([(byte)'X'], BitConverter.GetBytes(Encoding.UTF8.GetByteCount(text)), Encoding.UTF8.GetBytes(text));
    static byte[] Int(int value) => Concat([(byte)'J'], BitConverter.GetBytes(value));
    static byte[] Tuple(int[] values) => Concat([(byte)'('], Concat(values.Select(Int).ToArray()), [(byte)'t']);
    static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
