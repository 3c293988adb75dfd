using System.CommandLine;
using System.CommandLine.Completions;
using System.Globalization;
using System.Reflection;
using FsCheck.Xunit;
using Functional.Cli;
using Functional.Models.Titles;
using Functional.Models.Titles.Pretraining;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>
/// Issue 27, item 5: each title flag is declared once, in a <see cref="FlagTable{TOptions}"/> beside the field it sets.
/// These hold the tables to the commands and the records: every option of the command is a declared flag, and every
/// declared flag, given a random value on the real command line, reaches exactly one field of the options the command
/// reads (its own, and no other flag's), with that value, also when every flag is given at once.
/// </summary>
public sealed class FlagTableTests
{
    /// <summary>The field each flag sets (the end of its path through nested records: the corpus's fields are <c>Corpus.Format</c> in a run's options); a flag not named here is still checked to set exactly one field of its own.</summary>
    static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["--data"] = "DataDirectory", ["--out"] = "OutDirectory", ["--minutes"] = "Minutes", ["--epochs"] = "Epochs", ["--batch"] = "BatchSize",
        ["--learning-rate"] = "LearningRate", ["--warmup"] = "WarmupSteps", ["--clip"] = "ClipNorm", ["--min-count"] = "MinCount",
        ["--val-subset"] = "ValidationSubset", ["--seed"] = "Seed", ["--threads"] = "Threads", ["--ema"] = "Ema", ["--workers"] = "Workers",
        ["--label-smoothing"] = "LabelSmoothing", ["--checkpoint-every"] = "CheckpointEverySteps", ["--restart"] = "Restart", ["--device"] = "Device",
        ["--init"] = "InitFrom", ["--model"] = "Model.Kind", ["--embedding"] = "Model.EmbeddingSize", ["--encoder-hidden"] = "Model.EncoderHidden",
        ["--encoder-layers"] = "Model.EncoderLayers", ["--decoder-hidden"] = "Model.DecoderHidden", ["--decoder-layers"] = "Model.DecoderLayers",
        ["--output-hidden"] = "Model.OutputHidden", ["--dropout"] = "Model.Dropout", ["--max-article"] = "Model.MaxArticleLength",
        ["--max-title"] = "Model.MaxTitleLength", ["--format"] = "Format", ["--title-field"] = "TitleField",
        ["--content-field"] = "ContentField", ["--validation-share"] = "ValidationShare",
        ["--beam"] = "Width", ["--min-length"] = "MinLength", ["--max-length"] = "MaxLength", ["--normalize"] = "NormalizeByLength",
        ["--article-only"] = "ArticleCharactersOnly", ["--no-repeat"] = "NoRepeatNgram",
    };

    /// <summary>The options of a command that are not the model's flags (System.CommandLine's own).</summary>
    static readonly string[] Builtin = ["--help", "--version", "--verbose"];

    [Theory]
    [InlineData("titles train", nameof(TitleTrainingOptions))]
    [InlineData("titles pretrain", nameof(PretrainingOptions))]
    [InlineData("titles eval", nameof(TitleEvaluationOptions))]
    public void Every_option_of_the_command_is_a_declared_flag(string path, string record)
    {
        var command = Find(Root(), path);
        var declared = record switch
        {
            // titles train also takes the data-parallel flags, declared once for every training command in DataParallelFlags.
            nameof(TitleTrainingOptions) => FlagTable<TitleTrainingOptions>.Of(command).Concat(new DataParallelFlags().Declared).Select(o => o.Name),
            nameof(PretrainingOptions) => FlagTable<PretrainingOptions>.Of(command).Select(o => o.Name),
            _ => FlagTable<TitleEvaluationOptions>.Of(command).Concat(FlagTable<TitleCorpusOptions>.Of(command)).Select(o => o.Name),
        };
        Assert.Equal(command.Options.Select(o => o.Name).Where(n => !Builtin.Contains(n)).Order(), declared.Order());
    }

    [Property(MaxTest = 100)]
    public void Every_flag_of_titles_train_reaches_its_own_field(int seed) => RoundTrip<TitleTrainingOptions>("titles train", seed);

    [Property(MaxTest = 100)]
    public void Every_flag_of_titles_pretrain_reaches_its_own_field(int seed) => RoundTrip<PretrainingOptions>("titles pretrain", seed);

    [Property(MaxTest = 100)]
    public void Every_decoding_flag_of_titles_eval_reaches_its_own_field(int seed) => RoundTrip<TitleEvaluationOptions>("titles eval", seed);

    [Property(MaxTest = 100)]
    public void Every_corpus_flag_of_titles_eval_reaches_its_own_field(int seed) => RoundTrip<TitleCorpusOptions>("titles eval", seed);

    [Property(MaxTest = 100)]
    public void Every_beam_flag_of_titles_generate_reaches_its_own_field(int seed) => RoundTrip<BeamSearchOptions>("titles generate", seed);

    [Property(MaxTest = 50)]
    public void Every_beam_flag_of_titles_attention_reaches_its_own_field(int seed) => RoundTrip<BeamSearchOptions>("titles attention", seed);

    [Property(MaxTest = 50)]
    public void Every_corpus_flag_of_titles_baseline_reaches_its_own_field(int seed) => RoundTrip<TitleCorpusOptions>("titles baseline", seed);

    /// <summary>
    /// Gives each flag of the command's <typeparamref name="TOptions"/> table that sets a field a random value its own
    /// checks accept (another than its default where one exists), first alone and then all at once, and checks that
    /// alone it changes exactly one field of the record read without flags, to that value, a field no other flag changes (and the one
    /// <see cref="Fields"/> names), and that all at once the record read has every such field so.
    /// </summary>
    static void RoundTrip<TOptions>(string path, int seed)
    {
        using var folder = new TemporaryFolder();
        var random = new Random(seed);
        var root = Root();
        var command = Find(root, path);
        var table = FlagTable<TOptions>.Of(command);
        // What the command needs besides the table's flags to parse without errors (an article; a corpus that exists).
        string[] needed = [.. command.Options.Any(o => o.Name == "--text") ? ["--text", "an article"] : Array.Empty<string>(),
            .. command.Options.Any(o => o.Name == "--data") && !table.Bindings.Any(b => b.Sets && b.Option.Name == "--data") ? ["--data", folder.Path] : Array.Empty<string>()];
        ParseResult Parse(IEnumerable<string> flags) => root.Parse([.. path.Split(' '), .. needed, .. flags]);
        // The record no flag given reads: each flag's default (which may differ from the record's, as eval's --normalize).
        var start = table.Read(Parse([]));
        var (leaves, defaults) = (Leaves(start), Leaves(table.Defaults));
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var given = table.Bindings.Where(b => b.Sets).Select(b => (Binding: b, Token: Value(b.Option, random, folder.Path, token => OwnErrors(Parse([b.Option.Name, token]), b.Option) == 0))).ToArray();
            var whole = Parse(given.SelectMany(g => new[] { g.Binding.Option.Name, g.Token }));
            // Values each accepted alone may be refused together (--min-length above --max-length): draw again.
            if (whole.Errors.Count > 0) continue;
            var read = Leaves(table.Read(whole));
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (binding, token) in given)
            {
                var name = binding.Option.Name;
                var alone = Parse([name, token]);
                var set = Leaves(binding.Apply(alone, start));
                var changed = set.Where(leaf => leaves[leaf.Key] != leaf.Value).ToArray();
                // A flag that accepts only its default here (--device cpu without a GPU) changes nothing of the record read
                // without flags: its field is found against the record's own defaults (Device null: torch's default device).
                if (changed.Length == 0) changed = [.. Leaves(binding.Apply(alone, table.Defaults)).Where(leaf => defaults[leaf.Key] != leaf.Value)];
                Assert.True(changed.Length == 1, $"{path} {name} {token} changed {changed.Length} fields ({string.Join(", ", changed.Select(c => c.Key))}), not one.");
                var (field, value) = (changed[0].Key, changed[0].Value);
                if (Fields.TryGetValue(name, out var expected)) Assert.True(field == expected || field.EndsWith("." + expected, StringComparison.Ordinal), $"{path} {name} set {field}, not {expected}.");
                Assert.True(fields.TryAdd(field, name), $"{path}: {name} and {fields.GetValueOrDefault(field)} both set {field}.");
                if (FieldType(table.Defaults!, field) == binding.Option.ValueType) Assert.Equal(Show(ValueOf(binding.Option, token)), value);
                Assert.True(read[field] == value, $"{path} with every flag given: {field} is {read[field]}, but {name} {token} sets it to {value}.");
            }
            return;
        }
        Assert.Fail($"{path}: no draw of values was accepted as a whole in 100 tries (seed {seed}).");
    }

    /// <summary>The errors of <paramref name="option"/>'s own checks (those of a combination, as --init without --model unilm, belong to the command).</summary>
    static int OwnErrors(ParseResult parsed, Option option) =>
        parsed.Errors.Count(e => e.SymbolResult is System.CommandLine.Parsing.OptionResult given && given.Option == option);

    /// <summary>A value for <paramref name="option"/> that <paramref name="accepted"/> takes, another than its default where one is found.</summary>
    static string Value(Option option, Random random, string folder, Func<string, bool> accepted)
    {
        var byDefault = option.HasDefaultValue ? Show(option.GetDefaultValue()) : null;
        IEnumerable<string> Candidates()
        {
            for (var i = 0; i < 200; i++)
                yield return option.ValueType switch
                {
                    var t when t == typeof(int) => (random.Next(3) == 0 ? random.Next(0, 1000) : random.Next(0, 20)).ToString(CultureInfo.InvariantCulture),
                    var t when t == typeof(double) => (random.NextDouble() * (random.Next(2) == 0 ? 1 : 100)).ToString("R", CultureInfo.InvariantCulture),
                    var t when t == typeof(bool) => random.Next(2) == 0 ? "true" : "false",
                    _ when option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToArray() is { Length: > 0 } choices => choices[random.Next(choices.Length)],
                    // Paths and names: a folder that exists (accepted by every path kind), with a random name under it; else the device.
                    _ => i % 2 == 0 ? Path.Combine(folder, "f" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture)) : i % 4 == 1 ? folder : "cpu",
                };
        }
        string? fallback = null;
        foreach (var candidate in Candidates().Where(accepted))
        {
            if (candidate != byDefault && Show(ValueOf(option, candidate)) != byDefault) return candidate;
            fallback ??= candidate;
        }
        // Only the default is accepted here (--device on a machine without a GPU): given explicitly, it must still reach its field.
        return fallback ?? throw new InvalidOperationException($"No value of {option.Name} was accepted.");
    }

    static object? ValueOf(Option option, string token) => option.ValueType switch
    {
        var t when t == typeof(int) => int.Parse(token, CultureInfo.InvariantCulture),
        var t when t == typeof(double) => double.Parse(token, CultureInfo.InvariantCulture),
        var t when t == typeof(bool) => bool.Parse(token),
        _ => token,
    };

    /// <summary>Every leaf of a record (nested records of this toolkit walked into), by its path, as invariant text.</summary>
    static Dictionary<string, string> Leaves(object? value)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(object? node, string prefix)
        {
            if (node is not null && IsRecord(node.GetType()))
                foreach (var property in node.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
                    Walk(property.GetValue(node), prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}");
            else leaves.Add(prefix, Show(node));
        }
        Walk(value, "");
        return leaves;
    }

    /// <summary>The declared type of the leaf at <paramref name="path"/>.</summary>
    static Type FieldType(object record, string path)
    {
        var type = record.GetType();
        foreach (var name in path.Split('.')) type = type.GetProperty(name)!.PropertyType;
        return Nullable.GetUnderlyingType(type) ?? type;
    }

    static bool IsRecord(Type type) => type.Namespace?.StartsWith("Functional.", StringComparison.Ordinal) == true && type.GetMethod("<Clone>$") is not null;

    static string Show(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };

    static Command Root() => Program.Root(new CommandContext(TextWriter.Null, TextWriter.Null, CancellationToken.None));

    static Command Find(Command root, string path)
    {
        var command = root;
        foreach (var name in path.Split(' ')) command = command.Subcommands.Single(c => c.Name == name);
        return command;
    }
}
