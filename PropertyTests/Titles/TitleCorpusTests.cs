using System.Text;
using System.Text.Json;
using Functional.Models.Titles;
using Functional.PropertyTests.CommandLine;
using Xunit;

namespace Functional.PropertyTests.Titles;

/// <summary><see cref="TitleCorpus.Load"/> on small corpora written here, in every format, and each kind of bad line.</summary>
public sealed class TitleCorpusTests
{
    static readonly TitleCorpusOptions Options = TitleCorpusOptions.Default;

    static TitlePair Pair(int i) => new($"标题{i}", $"文章{i}的内容，第{i}篇。");

    static string Tsv(IEnumerable<TitlePair> pairs) => string.Concat(pairs.Select(p => $"{p.Title}\t{p.Content}\n"));

    static string JsonLines(IEnumerable<TitlePair> pairs, string title = "title", string content = "content") =>
        string.Concat(pairs.Select(p => JsonSerializer.Serialize(new Dictionary<string, object> { [title] = p.Title, [content] = p.Content, ["id"] = 7 }) + "\n"));

    static InvalidDataException Bad(string fileName, byte[] content, TitleCorpusOptions? options = null)
    {
        using var folder = new TemporaryFolder();
        File.WriteAllBytes(folder.File(fileName), content);
        return Assert.Throws<InvalidDataException>(() => TitleCorpus.Load(folder.File(fileName), options ?? Options));
    }

    static InvalidDataException Bad(string fileName, string content, TitleCorpusOptions? options = null) => Bad(fileName, Encoding.UTF8.GetBytes(content), options);

    [Fact]
    public void A_folder_with_train_and_val_tsv_reads_both_files_in_order()
    {
        using var folder = new TemporaryFolder();
        var train = Enumerable.Range(0, 20).Select(Pair).ToArray();
        var validation = Enumerable.Range(100, 5).Select(Pair).ToArray();
        File.WriteAllText(folder.File("train.tsv"), Tsv(train));
        File.WriteAllText(folder.File("val.tsv"), Tsv(validation));

        var corpus = TitleCorpus.Load(folder.Path, Options);

        Assert.Equal(train, corpus.Train);
        Assert.Equal(validation, corpus.Validation);
        Assert.Equal(0, corpus.Report.HeldOut);
        Assert.Equal(TitleCorpusFormat.Tsv, corpus.Report.Train.Format);
        Assert.Null(corpus.Report.Train.Published);
    }

    [Fact]
    public void A_folder_of_json_lines_with_other_field_names_reads_the_named_fields()
    {
        using var folder = new TemporaryFolder();
        var train = Enumerable.Range(0, 12).Select(Pair).ToArray();
        var validation = Enumerable.Range(50, 3).Select(Pair).ToArray();
        File.WriteAllText(folder.File("train.jsonl"), JsonLines(train, "headline", "body"));
        File.WriteAllText(folder.File("val.jsonl"), JsonLines(validation, "headline", "body"));

        var corpus = TitleCorpus.Load(folder.Path, Options with { TitleField = "headline", ContentField = "body" });

        Assert.Equal(train, corpus.Train);
        Assert.Equal(validation, corpus.Validation);
        Assert.Equal(TitleCorpusFormat.JsonLines, corpus.Report.Validation!.Format);
    }

    [Theory]
    [InlineData("pairs.tsv", false)]
    [InlineData("pairs.jsonl", true)]
    [InlineData("pairs.data", true)]
    [InlineData("pairs.data", false)]
    public void A_single_file_holds_out_a_deterministic_share_whatever_its_line_order(string name, bool json)
    {
        using var folder = new TemporaryFolder();
        var pairs = Enumerable.Range(0, 2000).Select(Pair).ToArray();
        File.WriteAllText(folder.File(name), json ? JsonLines(pairs) : Tsv(pairs));
        File.WriteAllText(folder.File("shuffled-" + name), json ? JsonLines(pairs.Reverse()) : Tsv(pairs.Reverse()));

        var corpus = TitleCorpus.Load(folder.File(name), Options);
        var shuffled = TitleCorpus.Load(folder.File("shuffled-" + name), Options);

        Assert.Equal(Options.HeldOut(2000), corpus.Validation.Count);
        Assert.Equal(300, corpus.Validation.Count); // 5% is 100; at least 300 when that is at most a fifth
        Assert.Equal(2000, corpus.Train.Count + corpus.Validation.Count);
        Assert.Empty(corpus.Train.Intersect(corpus.Validation));
        Assert.Equal(corpus.Validation.ToHashSet(), shuffled.Validation.ToHashSet());
        Assert.Equal(corpus.Validation.Count, corpus.Report.HeldOut);
        Assert.Equal(json ? TitleCorpusFormat.JsonLines : TitleCorpusFormat.Tsv, corpus.Report.Train.Format);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(20, 4)]
    [InlineData(1000, 200)]
    [InlineData(1500, 300)]
    [InlineData(100_000, 5000)]
    public void The_held_out_count_is_a_share_with_a_floor_of_a_few_hundred_when_there_are_enough(int pairs, int expected) =>
        Assert.Equal(expected, Options.HeldOut(pairs));

    [Fact]
    public void Duplicates_of_an_article_land_on_one_side_and_are_counted()
    {
        using var folder = new TemporaryFolder();
        var pairs = Enumerable.Range(0, 40).Select(i => Pair(i % 10)).ToArray();
        File.WriteAllText(folder.File("dup.tsv"), Tsv(pairs));

        var corpus = TitleCorpus.Load(folder.File("dup.tsv"), Options);

        Assert.Equal(30, corpus.Report.Train.Duplicates);
        Assert.Empty(corpus.Train.Select(p => p.Content).Intersect(corpus.Validation.Select(p => p.Content)));
        Assert.Contains("30 duplicate pairs kept", corpus.Report.Describe());
    }

    [Fact]
    public void Blank_lines_a_byte_order_mark_crlf_and_empty_articles_are_fine_and_counted()
    {
        using var folder = new TemporaryFolder();
        var text = "\uFEFF标题一\t文章一\r\n\r\n   \n标题二\t   \n标题三\t文章三\n标题四\t文章四";
        File.WriteAllBytes(folder.File("train.tsv"), Encoding.UTF8.GetBytes(text));
        File.WriteAllText(folder.File("val.tsv"), "标题五\t文章五\n");

        var corpus = TitleCorpus.Load(folder.Path, Options);

        Assert.Equal([new("标题一", "文章一"), new("标题三", "文章三"), new("标题四", "文章四")], corpus.Train);
        var report = corpus.Report.Train;
        Assert.Equal((6, 2, 1, 0), (report.Lines, report.BlankLines, report.EmptyContents, report.Duplicates));
        Assert.Contains("2 blank lines and 1 empty articles skipped", report.Describe());
    }

    [Fact]
    public void A_missing_tab_names_file_and_line() =>
        Assert.Matches(@"bad\.tsv line 3: no tab", Bad("bad.tsv", "标题\t文章\n\n只有一段文字\n").Message);

    [Fact]
    public void Two_tabs_name_file_and_line() =>
        Assert.Contains("bad.tsv line 2: 2 tabs", Bad("bad.tsv", "标题\t文章\n标题\t文章\t多余\n").Message);

    [Fact]
    public void An_empty_title_is_an_error_in_tsv_and_json() =>
        Assert.All(new[] { Bad("bad.tsv", "标题\t文章\n \t文章\n"), Bad("bad.jsonl", "{\"title\":\"a\",\"content\":\"b\"}\n{\"title\":\"\",\"content\":\"b\"}\n") },
            error => Assert.Contains("line 2: the title is empty", error.Message));

    [Fact]
    public void Invalid_utf8_names_file_line_and_byte()
    {
        var bytes = Encoding.UTF8.GetBytes("标题\t文章\n标题").Concat(new byte[] { 0xB1, 0xEA }).Concat(Encoding.UTF8.GetBytes("\t文章\n")).ToArray();
        var message = Bad("gbk.tsv", bytes).Message;
        Assert.Contains("gbk.tsv line 2: not valid UTF-8", message);
        Assert.Contains("0xB1", message);
    }

    [Fact]
    public void An_absurdly_long_line_is_refused_without_reading_it_whole()
    {
        using var folder = new TemporaryFolder();
        var path = folder.File("huge.tsv");
        // 64 MB of one line: refused at the 1 MiB cap (the reader never holds more than the cap).
        using (var stream = File.Create(path))
        {
            stream.Write("标题\t文章\n标题\t"u8);
            var block = new byte[1 << 20];
            Array.Fill(block, (byte)'a');
            for (var i = 0; i < 64; i++) stream.Write(block);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => TitleCorpus.Load(path, Options));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("huge.tsv line 2: longer than 1,048,576 bytes", error.Message);
        Assert.True(allocated < 16 << 20, $"allocated {allocated:N0} bytes to refuse the line");
    }

    [Fact]
    public void A_line_of_exactly_the_cap_is_read_and_one_byte_more_is_refused()
    {
        using var folder = new TemporaryFolder();
        // 6 bytes of title, a tab and 1000 bytes of article: 1007 bytes before the CR LF.
        File.WriteAllText(folder.File("cap.tsv"), "标题\t" + new string('a', 1000) + "\r\n标题\t文章\n");

        var corpus = TitleCorpus.Load(folder.File("cap.tsv"), Options with { MaxLineBytes = 1007 });
        var error = Assert.Throws<InvalidDataException>(() => TitleCorpus.Load(folder.File("cap.tsv"), Options with { MaxLineBytes = 1006 }));

        Assert.Equal(2, corpus.Train.Count + corpus.Validation.Count);
        Assert.Contains("cap.tsv line 1: longer than 1,006 bytes", error.Message);
    }

    [Theory]
    [InlineData("{\"title\": \"a\", \"content\": ", "line 1: not valid JSON")]
    [InlineData("[1, 2]", "line 1: a JSON array, expected an object with 'title' and 'content'")]
    [InlineData("{\"headline\": \"a\", \"content\": \"b\"}", "line 1: no 'title' field (the object has 'headline', 'content'); name the field with --title-field")]
    [InlineData("{\"title\": \"a\", \"content\": 3}", "line 1: 'content' is a JSON number, expected a string")]
    public void Bad_json_lines_name_file_line_and_problem(string line, string expected) =>
        Assert.Contains("bad.jsonl " + expected, Bad("bad.jsonl", line + "\n{\"title\":\"a\",\"content\":\"b\"}\n").Message);

    [Fact]
    public void Too_few_pairs_and_a_folder_without_a_training_file_are_explained()
    {
        Assert.Contains("at least 2 are needed", Bad("one.tsv", "标题\t文章\n").Message);
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("val.tsv"), "标题\t文章\n");
        Assert.Contains("train.tsv or train.jsonl", Assert.Throws<FileNotFoundException>(() => TitleCorpus.Load(folder.Path, Options)).Message);
        Assert.Contains("No corpus at", Assert.Throws<FileNotFoundException>(() => TitleCorpus.Load(folder.File("missing"), Options)).Message);
    }

    [Fact]
    public void The_published_lcsts_files_are_recognised_by_checksum()
    {
        var corpus = TitleCorpus.Load(SharedData.Folder("lcsts-part2-clge"), Options);

        Assert.Equal((8666, 1000), (corpus.Train.Count, corpus.Validation.Count));
        Assert.StartsWith("LCSTS part II train.tsv (the published file, SHA-256 verified)", corpus.Report.Train.Published);
        Assert.Contains("LCSTS part II val.tsv", corpus.Report.Describe());
    }

    [Fact]
    public void A_copy_of_the_lcsts_training_file_alone_is_recognised_and_split()
    {
        using var folder = new TemporaryFolder();
        File.Copy(Path.Combine(SharedData.Folder("lcsts-part2-clge"), "train.tsv"), folder.File("lcsts.tsv"));

        var corpus = TitleCorpus.Load(folder.File("lcsts.tsv"), Options);

        Assert.StartsWith("LCSTS part II train.tsv", corpus.Report.Train.Published);
        Assert.InRange(corpus.Validation.Count, 434, 450);
        Assert.Equal(8666, corpus.Train.Count + corpus.Validation.Count);
    }
}
