using System.Text;
using Functional.Cli;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>Lines read for <c>titles generate --file</c>: UTF-8, with each line that is not named by number.</summary>
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
        Assert.Equal(3, Utf8Lines.Count(path));
        Assert.Equal([("日前，方舟子", 1), (lines[1].Line, 2), ("😀", 3)], lines);
        Assert.Contains('\uFFFD', lines[1].Line);
        Assert.Equal([2], invalid);
    }
}
