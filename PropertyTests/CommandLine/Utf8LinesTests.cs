using System.Text;
using Functional.Cli;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>
/// Lines read for <c>titles generate --file</c>: UTF-8, streamed, with each line that is not UTF-8 named by number and a
/// line over the cap an error naming the file and line (issue 31, item 5).
/// </summary>
public sealed class Utf8LinesTests
{
    [Fact]
    public void A_line_that_is_not_utf8_is_reported_by_number_and_the_others_read_as_they_are()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("articles.txt");
        var gbk = new byte[] { 0xC8, 0xD5, 0xC7, 0xB0 }; // 日前 in GBK: not UTF-8
        File.WriteAllBytes(path, [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes("日前，方舟子\r\n"), .. gbk, (byte)'\n', .. Encoding.UTF8.GetBytes("😀\n")]);
        var invalid = new List<int>();
        var lines = Utf8Lines.Read(path, invalid.Add, int.MaxValue).ToArray();
        Assert.Equal([("日前，方舟子", 1), (lines[1].Line, 2), ("😀", 3)], lines);
        Assert.Contains('\uFFFD', lines[1].Line);
        Assert.Equal([2], invalid);
        Assert.Equal(3, Utf8Lines.Count(path));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Streamed_lines_equal_the_whole_file_split_whatever_the_line_lengths(int seed)
    {
        // Lines of 0 to 200,000 bytes (across the 64 KiB read buffer), CRLF or LF, with or without a BOM and a last newline.
        var random = new Random(seed);
        var expected = Enumerable.Range(0, random.Next(0, 12)).Select(_ => new string("标题abc日月"[random.Next(7)], random.Next(4) == 0 ? random.Next(0, 70_000) : random.Next(0, 40))).ToList();
        var text = new StringBuilder();
        foreach (var line in expected) text.Append(line).Append(random.Next(2) == 0 ? "\r\n" : "\n");
        if (expected.Count > 0 && random.Next(2) == 0)
        {
            text.Length -= text.Length >= 2 && text[^2] == '\r' ? 2 : 1; // no newline after the last line
            if (expected[^1].Length == 0) expected.RemoveAt(expected.Count - 1); // so an empty last line is no line
        }
        using var folder = new TemporaryFolder();
        var path = folder.File("articles.txt");
        var bom = random.Next(2) == 0;
        File.WriteAllBytes(path, [.. bom ? Encoding.UTF8.Preamble : [], .. Encoding.UTF8.GetBytes(text.ToString())]);
        var read = Utf8Lines.Read(path, _ => Assert.Fail("all lines are UTF-8"), int.MaxValue).ToArray();
        Assert.Equal(expected, read.Select(l => l.Line));
        Assert.Equal(Enumerable.Range(1, expected.Count), read.Select(l => l.Number));
        Assert.Equal(expected.Count, Utf8Lines.Count(path));
    }

    [Fact]
    public void A_line_over_the_cap_is_an_error_naming_the_file_and_line_after_the_lines_before_it()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("articles.txt");
        File.WriteAllText(path, "短\n" + new string('长', 100_000) + "\n后\n");
        using var lines = Utf8Lines.Read(path, _ => { }, 200_000).GetEnumerator();
        Assert.True(lines.MoveNext());
        Assert.Equal(("短", 1), lines.Current); // streamed: the first line comes out before the long one is read
        var error = Assert.Throws<InvalidDataException>(() => lines.MoveNext());
        Assert.Equal($"{path} line 2: longer than 200,000 bytes, the most a line may hold; is it one article per line?", error.Message);
        // At the cap exactly (300,000 bytes of 3-byte characters), the line reads.
        Assert.Equal(3, Utf8Lines.Read(path, _ => { }, 300_000).Count());
    }
}
