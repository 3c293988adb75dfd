using System.Text;
using Functional.Cli;
using Functional.Models.Gan;
using Functional.Models.Text;
using Functional.Training;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>
/// Issue 31, item 10 (messages): damaged files give messages that name the file and where in it the damage is — a
/// vocabulary line that is not UTF-8 or holds a bad <c>\uXXXX</c> escape, a safetensors header with a key twice — and
/// <c>gan sample</c> names the user's folder (not its temporary copy) without advice to delete checkpoints.
/// </summary>
public sealed class FileMessageTests
{
    [Fact]
    public void A_vocabulary_line_that_is_not_utf8_names_the_file_and_line()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("vocabulary.txt");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("日\n"), 0xC8, 0xD5, (byte)'\n', .. Encoding.UTF8.GetBytes("月\n")]);
        var error = Assert.Throws<InvalidDataException>(() => CharacterVocabulary.Load(path));
        Assert.StartsWith($"{path} line 2: not valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\\uZZZZ")]
    [InlineData("\\u12G4")]
    [InlineData("\\u-123")]
    public void A_bad_escape_in_a_vocabulary_names_the_file_and_line(string escape)
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("vocabulary.txt");
        File.WriteAllText(path, $"日\n月\n{escape}\n");
        var error = Assert.Throws<InvalidDataException>(() => CharacterVocabulary.Load(path));
        Assert.Equal($"{path} line 3: '{escape}' is not an escape \\uXXXX of four hexadecimal digits.", error.Message);
    }

    [Fact]
    public void A_vocabulary_with_escapes_and_a_byte_order_mark_still_loads_as_saved()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("vocabulary.txt");
        File.WriteAllBytes(path, [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes("日\r\n\\u0009\n\\u005c\n😀\n")]);
        var loaded = CharacterVocabulary.Load(path);
        Assert.Equal(4 + 4, loaded.Size);
        Assert.Equal("日\t\\😀", loaded.Decode([4, 5, 6, 7]));
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "header: the key 'a' appears twice")]
    [InlineData("""{"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}""", "header 'a': the key 'dtype' appears twice")]
    [InlineData("""{"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "header '__metadata__': the key 'k' appears twice")]
    public void A_safetensors_header_with_a_key_twice_names_the_file_and_key(string header, string problem)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + 4];
        BitConverter.TryWriteBytes(file.AsSpan(0, 8), (ulong)json.Length);
        json.CopyTo(file, 8);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(file, "runs/x/model.safetensors"));
        Assert.Equal($"not a valid model file: runs/x/model.safetensors: {problem}.", error.Message);
    }

    [Fact]
    public void Gan_sample_of_damaged_checkpoints_names_the_users_folder_and_does_not_advise_restart()
    {
        using var folder = new TemporaryFolder();
        GanOptionsFile.Write(folder.Path, GanOptions.Default);
        var checkpoints = Path.Combine(folder.Path, "checkpoints");
        Directory.CreateDirectory(checkpoints);
        // A damaged checkpoint under the store's own name, and one whose name the store lists but cannot open as a step.
        File.WriteAllBytes(Path.Combine(checkpoints, "step-0000000007.safetensors"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        File.WriteAllBytes(Path.Combine(checkpoints, "step-00000005.safetensors"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        var run = CommandLineRun.Of(["gan", "sample", "--out", folder.Path]);
        Assert.True(run.ExitCode == Program.Failure, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains(checkpoints, line, StringComparison.Ordinal);
        Assert.DoesNotContain("checkpoint-copy-", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), line.Replace(folder.Path, "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("restart", line, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"Nothing in {checkpoints} was changed", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder.Path, "sample.png")));
    }
}
