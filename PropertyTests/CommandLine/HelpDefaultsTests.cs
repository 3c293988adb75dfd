using System.Globalization;
using System.Text.RegularExpressions;
using Functional.Cli;
using Functional.Models.Digits;
using Functional.Models.Evaluation;
using Functional.Models.Gan;
using Functional.Models.Titles;
using Functional.Models.Word2Vec;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>
/// Every default the help shows is the default of the option record it configures (the old hand-kept usage page said
/// <c>gan --epochs 40</c> while <see cref="GanOptions.Default"/> said 100): the help is generated, and this holds it to
/// the records.
/// </summary>
public sealed partial class HelpDefaultsTests
{
    /// <summary>Every command that has an action, by its path under the program.</summary>
    public static readonly string[] CommandPaths =
    [
        "titles baseline", "titles train", "titles pretrain", "titles generate", "titles eval", "titles attention", "titles export",
        "mnist", "mnist accumulate", "gan train", "gan sample", "gan score", "word2vec train", "word2vec similar", "word2vec eval",
    ];

    /// <summary>(command path, flag, the record's default).</summary>
    public static TheoryData<string, string, object> RecordDefaults()
    {
        var t = TitleTrainingOptions.Default;
        var m = t.Model;
        var b = BeamSearchOptions.Default;
        var e = TitleEvaluationOptions.Default;
        var d = MnistTrainingOptions.Default;
        var g = GanOptions.Default;
        var s = SkipGramOptions.Default;
        var rows = new TheoryData<string, string, object>();
        void Add(string command, string flag, object value) => rows.Add(command, flag, value);
        foreach (var (flag, value) in new (string, object)[]
                 {
                     ("--data", t.DataDirectory), ("--out", t.OutDirectory), ("--minutes", t.Minutes), ("--epochs", t.Epochs), ("--batch", t.BatchSize),
                     ("--learning-rate", t.LearningRate), ("--warmup", t.WarmupSteps), ("--clip", t.ClipNorm), ("--min-count", t.MinCount),
                     ("--val-subset", t.ValidationSubset), ("--seed", t.Seed), ("--threads", t.Threads), ("--ema", t.Ema), ("--workers", t.Workers),
                     ("--label-smoothing", t.LabelSmoothing), ("--embedding", m.EmbeddingSize), ("--encoder-hidden", m.EncoderHidden), ("--encoder-layers", m.EncoderLayers),
                     ("--decoder-hidden", m.DecoderHidden), ("--decoder-layers", m.DecoderLayers), ("--output-hidden", m.OutputHidden),
                     ("--dropout", m.Dropout), ("--max-article", m.MaxArticleLength), ("--max-title", m.MaxTitleLength),
                 })
            Add("titles train", flag, value);
        foreach (var command in new[] { "titles generate", "titles attention" })
        {
            Add(command, "--model", t.OutDirectory);
            Add(command, "--beam", b.Width);
            Add(command, "--min-length", b.MinLength);
            Add(command, "--max-length", b.MaxLength);
            Add(command, "--normalize", b.NormalizeByLength);
            Add(command, "--article-only", b.ArticleCharactersOnly);
            Add(command, "--no-repeat", b.NoRepeatNgram);
        }
        Add("titles eval", "--beam", b.Width);
        Add("titles eval", "--min-length", e.MinLength);
        Add("titles eval", "--no-repeat", e.NoRepeatNgram);
        Add("titles eval", "--normalize", b.NormalizeByLength);
        Add("titles eval", "--lead", LeadBaseline.DefaultLength);
        Add("titles eval", "--data", t.DataDirectory);
        Add("titles baseline", "--lead", LeadBaseline.DefaultLength);
        Add("titles generate", "--batch", BatchedGeneration.DefaultBatch);
        var c = TitleCorpusOptions.Default;
        foreach (var command in new[] { "titles train", "titles eval", "titles baseline" })
        {
            Add(command, "--format", "auto");
            Add(command, "--title-field", c.TitleField);
            Add(command, "--content-field", c.ContentField);
            Add(command, "--validation-share", c.ValidationShare);
        }
        foreach (var (flag, value) in new (string, object)[]
                 {
                     ("--data", d.DataDirectory), ("--epochs", d.Epochs), ("--batch", d.BatchSize), ("--learning-rate", d.LearningRate),
                     ("--hidden", d.Hidden), ("--dropout", d.DropoutRate), ("--ema", d.EmaDecay), ("--workers", d.Workers), ("--seed", d.Seed),
                     ("--model", MnistCommands.ModelName(d.Model)), ("--channels", d.ConvChannels), ("--minutes", d.Minutes),
                 })
            Add("mnist", flag, value);
        foreach (var (flag, value) in new (string, object)[]
                 {
                     ("--data", g.DataDirectory), ("--out", GanRun.Default.OutputDirectory), ("--epochs", g.Epochs), ("--batch", g.BatchSize),
                     ("--noise", g.NoiseSize), ("--g-hidden", g.GeneratorHidden), ("--d-hidden", g.DiscriminatorHidden), ("--spectral-norm", g.SpectralNorm),
                     ("--g-learning-rate", g.GeneratorLearningRate), ("--d-learning-rate", g.DiscriminatorLearningRate), ("--b1", g.B1), ("--b2", g.B2),
                     ("--lambda", g.Lambda), ("--generator-ema", g.GeneratorEma), ("--seed", g.Seed), ("--minutes", GanRun.Default.TimeBudget.TotalMinutes),
                 })
            Add("gan train", flag, value);
        Add("gan sample", "--columns", GanRun.Default.GridColumns);
        Add("gan score", "--count", GanTraining.ScoredSamples);
        foreach (var (flag, value) in new (string, object)[]
                 {
                     ("--dim", s.Dimension), ("--window", s.Window), ("--negatives", s.Negatives), ("--min-count", s.MinimumCount),
                     ("--subsample", s.Subsample), ("--epochs", s.Epochs), ("--learning-rate", s.LearningRate), ("--threads", s.Threads), ("--seed", s.Seed),
                 })
            Add("word2vec train", flag, value);
        return rows;
    }

    [Theory]
    [MemberData(nameof(RecordDefaults))]
    public void The_help_shows_the_records_default(string command, string flag, object expected)
    {
        var help = CommandLineRun.Of([.. command.Split(' '), "--help"]);
        var shown = Defaults(help.Output);
        // The help of System.CommandLine shows no default for a switch that is off: "--article-only <true|false>" alone means false.
        if (expected is false && !shown.ContainsKey(flag))
            Assert.Matches($@"(?m)^\s+{Regex.Escape(flag)} <true\|false>\s", help.Output);
        else
        {
            Assert.True(shown.ContainsKey(flag), $"{command} --help has no default for {flag}:\n{help.Output}");
            var text = expected switch
            {
                bool on => on ? "true" : "false",
                IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
                _ => expected.ToString(),
            };
            Assert.Equal(text, shown[flag]);
        }
        // The value an absent option takes is the record's too, not only its printed form.
        Assert.Equal(expected, Option(command, flag).GetDefaultValue());
    }

    /// <summary>The option <paramref name="flag"/> of the command at <paramref name="path"/> in a fresh command tree.</summary>
    static System.CommandLine.Option Option(string path, string flag)
    {
        System.CommandLine.Command command = Program.Root(new CommandContext(TextWriter.Null, TextWriter.Null, CancellationToken.None));
        foreach (var name in path.Split(' ')) command = command.Subcommands.Single(c => c.Name == name);
        return command.Options.Single(o => o.Name == flag);
    }

    [Fact]
    public void Every_valued_option_of_every_command_shows_a_default_or_is_one_without()
    {
        string[] without = ["--text", "--file", "--word", "--tensorboard", "--init", "--help", "--version", "--verbose"];
        foreach (var path in CommandPaths)
        {
            var help = CommandLineRun.Of([.. path.Split(' '), "--help"]).Output;
            var options = OptionName().Matches(help).Select(m => m.Groups[1].Value).ToArray();
            Assert.NotEmpty(options);
            var shown = Defaults(help);
            var switchesOff = SwitchLine().Matches(help).Select(m => m.Groups[1].Value).Where(o => !shown.ContainsKey(o));
            foreach (var option in options.Where(o => !without.Contains(o) && !switchesOff.Contains(o)))
                Assert.True(shown.ContainsKey(option), $"{path} --help shows no default for {option}:\n{help}");
        }
    }

    /// <summary>The flag and the default shown in each option line of a help page.</summary>
    static Dictionary<string, string> Defaults(string help) =>
        DefaultLine().Matches(help).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    [GeneratedRegex(@"^\s+(?:-\S+, )*(--[a-z0-9-]+)\b.*\[default: ([^\]]*)\]\s*$", RegexOptions.Multiline)]
    private static partial Regex DefaultLine();

    [GeneratedRegex(@"^\s+(--[a-z0-9-]+) <true\|false>", RegexOptions.Multiline)]
    private static partial Regex SwitchLine();

    [GeneratedRegex(@"^\s+(?:-\S+, )*(--[a-z0-9-]+)\b", RegexOptions.Multiline)]
    private static partial Regex OptionName();
}
