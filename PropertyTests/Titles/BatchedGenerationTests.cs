using Functional.Models.Text;
using Functional.Models.Titles;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Titles;

/// <summary>Batched, streamed generation gives exactly the titles of the one-at-a-time path.</summary>
public sealed class BatchedGenerationTests
{
    const int Vocabulary = 30;

    static int[][] Articles(int seed)
    {
        var random = new Random(seed);
        // Lengths 0 to 24 (the tiny model reads 16): empty, short, and cut articles side by side.
        return Enumerable.Range(0, 24).Select(i => i % 7 == 3 ? [] : TitleTesting.Ids(random, Vocabulary, 1, 24).Take(16).ToArray()).ToArray();
    }

    [Theory]
    [InlineData(1, false, 0)]
    [InlineData(4, false, 1)]
    [InlineData(4, true, 1)]
    [InlineData(3, true, 0)]
    public void Beams_of_many_articles_stepped_together_give_each_articles_title_alone(int width, bool normalize, int noRepeat)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var seed in new[] { 1, 2 })
        {
            var model = TitleTesting.Model(seed, Vocabulary);
            var articles = Articles(seed);
            var options = new BeamSearchOptions(width, 0, 8, normalize) { NoRepeatNgram = noRepeat };

            var together = BeamSearch.DecodeMany(model, articles, options);
            var alone = articles.Select(a => BeamSearch.Decode(model, a, options)).ToArray();

            for (var i = 0; i < articles.Length; i++)
            {
                Assert.Equal(alone[i].Ids, together[i].Ids);
                Assert.Equal(alone[i].Finished, together[i].Finished);
                Assert.Equal(alone[i].Score, together[i].Score, 1e-4);
            }
        }
    }

    [Fact]
    public void Greedy_decoding_of_a_batch_gives_each_articles_title_alone()
    {
        using var scope = torch.NewDisposeScope();
        var model = TitleTesting.Model(3, Vocabulary);
        var articles = Articles(3);
        var options = new GreedyOptions(0, 8) { NoRepeatNgram = 1 };
        var together = GreedyDecoding.Decode(model, articles, options);
        for (var i = 0; i < articles.Length; i++)
            Assert.Equal(GreedyDecoding.Decode(model, [articles[i]], options)[0].Ids, together[i].Ids);
    }

    static TrainedTitleModel Trained(int seed)
    {
        var vocabulary = CharacterVocabulary.Build(["甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地人"], 1);
        return new TrainedTitleModel(TitleTesting.Model(seed, vocabulary.Size), vocabulary, TitleTesting.Tiny);
    }

    static readonly string[] Texts =
    [
        "甲乙丙丁", "天地人子丑寅卯辰巳午未申酉戌亥甲乙丙丁戊己", "   ", "人", "未知字和甲乙", "戊己庚辛壬癸子丑寅卯", "", "辰巳午未申", "地",
    ];

    [Theory]
    [InlineData(1, 4)]
    [InlineData(4, 2)]
    [InlineData(4, 100)]
    public void The_stream_gives_the_one_at_a_time_titles_in_input_order(int width, int batch)
    {
        using var scope = torch.NewDisposeScope();
        var model = Trained(4);
        var options = BeamSearchOptions.Default with { Width = width };
        var reports = new List<int>();

        var streamed = BatchedGeneration.Generate(model, Texts, options, batch, new Reports(reports)).ToArray();

        Assert.Equal(Enumerable.Range(0, Texts.Length), streamed.Select(s => s.Index));
        for (var i = 0; i < Texts.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(Texts[i]))
            {
                Assert.Null(streamed[i].Title);
                Assert.Contains("empty", streamed[i].Problem);
                continue;
            }
            var alone = TitleGenerator.Generate(model, Texts[i], options);
            Assert.Equal(alone.Title, streamed[i].Title!.Title);
            Assert.Equal(alone.Decoded.Ids, streamed[i].Title!.Decoded.Ids);
            Assert.Equal((alone.ArticleCharacters, alone.UsedCharacters), (streamed[i].Title!.ArticleCharacters, streamed[i].Title!.UsedCharacters));
        }
        Assert.Equal(Enumerable.Range(1, (Texts.Length + batch - 1) / batch).Select(b => Math.Min(b * batch, Texts.Length)), reports);
    }

    [Fact]
    public void A_batch_is_handed_out_before_the_next_is_read()
    {
        using var scope = torch.NewDisposeScope();
        var model = Trained(5);
        var read = 0;
        IEnumerable<string> Endless()
        {
            while (true)
            {
                read++;
                yield return "甲乙丙丁戊";
            }
        }

        var first = BatchedGeneration.Generate(model, Endless(), BeamSearchOptions.Default, 3, null).Take(3).ToArray();

        Assert.Equal(3, first.Length);
        Assert.Equal(3, read);
    }

    [Fact]
    public void Generate_file_writes_one_line_per_article_in_order_and_names_empty_lines()
    {
        using var folder = new Functional.PropertyTests.CommandLine.TemporaryFolder();
        using var scope = torch.NewDisposeScope();
        var model = Trained(6);
        model.Save(folder.File("model"));
        File.WriteAllLines(folder.File("articles.txt"), Texts);

        var run = Functional.PropertyTests.CommandLine.CommandLineRun.Of(["titles", "generate", "--model", folder.File("model"), "--file", folder.File("articles.txt"), "--batch", "4"]);

        var expected = Texts.Select(t => string.IsNullOrWhiteSpace(t) ? "" : TitleGenerator.Generate(model, t, BeamSearchOptions.Default).Title);
        Assert.Equal(expected, run.Output.Split('\n')[..Texts.Length]);
        Assert.Equal(Functional.Cli.Program.Failure, run.ExitCode);
        Assert.Contains($"{folder.File("articles.txt")} line 3: The article is empty", run.Error);
        Assert.Contains($"{folder.File("articles.txt")} line 7: The article is empty", run.Error);
        Assert.Contains($"{folder.File("articles.txt")} line 2: (the article has 21 characters; the model read the first 16)", run.Error);
    }

    [Fact]
    public void An_article_with_no_known_character_gets_its_title_and_a_warning_naming_the_line()
    {
        using var folder = new Functional.PropertyTests.CommandLine.TemporaryFolder();
        using var scope = torch.NewDisposeScope();
        var model = Trained(7);
        model.Save(folder.File("model"));
        File.WriteAllLines(folder.File("articles.txt"), ["甲乙丙丁", "😀😀🎉", "人"]);

        var run = Functional.PropertyTests.CommandLine.CommandLineRun.Of(["titles", "generate", "--model", folder.File("model"), "--file", folder.File("articles.txt")]);

        Assert.Equal(Functional.Cli.Program.Success, run.ExitCode);
        Assert.Equal(4, run.Output.Split('\n').Length);   // one title line per article (a title may be empty), then the end
        Assert.Contains($"{folder.File("articles.txt")} line 2: warning: none of the article's 3 characters is in the model's vocabulary", run.Error);
        Assert.DoesNotContain("line 1: warning", run.Error);
        Assert.DoesNotContain("line 3: warning", run.Error);
        var text = Functional.PropertyTests.CommandLine.CommandLineRun.Of(["titles", "generate", "--model", folder.File("model"), "--text", "🎉🎉"]);
        Assert.Contains("warning: none of the article's 2 characters is in the model's vocabulary", text.Error);
    }

    sealed class Reports(List<int> into) : IProgress<int>
    {
        public void Report(int value) => into.Add(value);
    }
}
