using Xunit;
using Functional.Models.Evaluation;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Titles;

public sealed class ChineseTitleCorpusTests
{
    static readonly string Folder = SharedData.Folder("lcsts-part2-clge");

    [Fact]
    public void Both_splits_load_with_their_published_sizes()
    {
        var train = ChineseTitleCorpus.Load(Folder, Split.Train);
        var validation = ChineseTitleCorpus.Load(Folder, Split.Validation);

        Assert.Equal(8666, train.Count);
        Assert.Equal(1000, validation.Count);
        Assert.Equal("林志颖公司疑涉虚假营销无厂房无研发", train[0].Title);
        Assert.StartsWith("日前，方舟子发文", train[0].Content);
    }

    [Fact]
    public void The_lead_18_baseline_scores_about_0_19_rouge_l_on_validation()
    {
        var pairs = ChineseTitleCorpus.Load(Folder, Split.Validation);

        var scores = Rouge.Mean(pairs.Select(p => (LeadBaseline.Title(p.Content, 18), p.Title)));

        Assert.InRange(scores.RougeL, 0.18, 0.20);
        Assert.True(scores.Rouge1 > scores.Rouge2);
    }

    [Fact]
    public void A_missing_folder_says_where_the_data_comes_from()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ChineseTitleCorpus.Load("/nonexistent", Split.Train));

        Assert.Contains("CLGE", error.Message);
        Assert.Contains("research", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_changed_file_is_refused_by_its_checksum()
    {
        var folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(Folder, "val.tsv"));
            bytes[^2] ^= 1;
            File.WriteAllBytes(Path.Combine(folder, "val.tsv"), bytes);

            var error = Assert.Throws<InvalidDataException>(() => ChineseTitleCorpus.Load(folder, Split.Validation));

            Assert.Contains("SHA-256", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
