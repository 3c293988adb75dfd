using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Functional.Core;
using Functional.Training;

namespace Functional.Cli;

/// <summary>
/// The option kinds of the command line, each with its check: every factory takes the default from the caller (read
/// from a model's option record, never retyped) and adds validators, so a bad value is a usage error (exit 2) naming
/// the flag and the values it accepts, found before any work starts. Every option may be given once: a repeated
/// option is an error, not "the last one wins". Booleans are <c>--flag</c>, <c>--flag true</c> or <c>--flag false</c>.
/// </summary>
public static class Flags
{
    /// <summary>The most threads a <c>--threads</c> accepts: four per core of this machine.</summary>
    public static int MaxThreads => Environment.ProcessorCount * 4;

    /// <summary>The longest time budget <c>--minutes</c> accepts (about 19 years; larger values overflow a time span).</summary>
    public const double MaxMinutes = 1e7;

    /// <summary>
    /// A whole number in [<paramref name="min"/>, <paramref name="max"/>]; the help states a finite <paramref name="max"/>
    /// ("at most N"), so the cap is written once, where the option is made from the record's constant.
    /// </summary>
    public static Option<int> Integer(string name, int byDefault, string description, int min, int max = int.MaxValue)
    {
        var shown = max == int.MaxValue ? description : $"{description} (at most {max.ToString(CultureInfo.InvariantCulture)})";
        var option = Once(new Option<int>(name) { Description = shown, DefaultValueFactory = _ => byDefault, HelpName = "N" });
        bool Refused(OptionResult result) => result.Tokens.Count > 0 && TryValue<int>(result, out var value) && (value < min || value > max);
        Refuses.Add(option, Refused);
        option.Validators.Add(result =>
        {
            if (Refused(result))
                result.AddError($"{name} must be {Accepted(min, max)}, got {result.GetValueOrDefault<int>().ToString(CultureInfo.InvariantCulture)}.");
        });
        return option;
    }

    /// <summary>A count of at least 1 (epochs, batch size, beam width): <see cref="Bounds.AtLeastOne"/>.</summary>
    public static Option<int> Count(string name, int byDefault, string description) => Integer(name, byDefault, description, 1);

    /// <summary>A size in [1, <paramref name="max"/>]: a count that memory grows with (a batch, a width, a beam), always capped.</summary>
    public static Option<int> Size(string name, int byDefault, string description, int max) => Integer(name, byDefault, description, 1, max);

    /// <summary><c>--workers</c>: threads that collate batches, in [1, <see cref="BatchLoader.MaxWorkers"/>] (four per core).</summary>
    public static Option<int> Workers(int byDefault, string description) => Integer("--workers", byDefault, description, 1, BatchLoader.MaxWorkers);

    /// <summary>
    /// A number that <paramref name="bound"/> (one of <see cref="Bounds"/>, or the model's own check) accepts; NaN and
    /// the infinities are refused by the bounds themselves, and <paramref name="max"/> bounds it above.
    /// </summary>
    public static Option<double> Number(string name, double byDefault, string description, Func<string, double, IReadOnlyList<Problem>> bound, double max = double.MaxValue)
    {
        var option = Once(new Option<double>(name) { Description = description, DefaultValueFactory = _ => byDefault, HelpName = "X" });
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || !TryValue<double>(result, out var value)) return;
            var problems = bound(name, value);
            if (problems.Count > 0) result.AddError($"{name} {problems[0].Text}, got {Show(value)}.");
            else if (value > max) result.AddError($"{name} must be at most {Show(max)}, got {Show(value)}.");
        });
        return option;
    }

    /// <summary>A wall-time budget in minutes: a finite number in [0, <see cref="MaxMinutes"/>], 0 meaning no budget.</summary>
    public static Option<double> Minutes(double byDefault, string description) =>
        Number("--minutes", byDefault, description + " (0: no budget)", Bounds.NonNegative, MaxMinutes);

    /// <summary>
    /// libtorch's (or a trainer's) thread count: in [<paramref name="min"/>, <see cref="MaxThreads"/>]; with
    /// <paramref name="min"/> 0, 0 means libtorch's default.
    /// </summary>
    public static Option<int> Threads(int byDefault, string description, int min = 0) =>
        Integer("--threads", byDefault, description, min, MaxThreads);

    /// <summary>The seed of a random generator: a whole number &gt;= 0.</summary>
    public static Option<int> Seed(int byDefault, string description = "seeds initialisation, batch order and noise") =>
        Integer("--seed", byDefault, description, 0);

    /// <summary>A boolean: <c>--name</c> (true), <c>--name true</c>, <c>--name false</c>.</summary>
    public static Option<bool> Switch(string name, bool byDefault, string description) =>
        Once(new Option<bool>(name) { Description = description, DefaultValueFactory = _ => byDefault, HelpName = "true|false" });

    /// <summary>One of <paramref name="values"/>.</summary>
    public static Option<string> Choice(string name, string byDefault, string description, params string[] values)
    {
        var option = Once(new Option<string>(name) { Description = description, DefaultValueFactory = _ => byDefault });
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    /// <summary>Free text; when <paramref name="required"/>, it must be given and not empty.</summary>
    public static Option<string> Text(string name, string description, bool required = false, string helpName = "TEXT")
    {
        var option = Once(new Option<string>(name) { Description = description, Required = required, HelpName = helpName });
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
                result.AddError($"{name} must not be empty.");
        });
        return option;
    }

    /// <summary>A folder that must exist (data, a trained model).</summary>
    public static Option<string> InputFolder(string name, string byDefault, string description) =>
        Path(name, byDefault, description, PathKind.InputFolder, "DIR");

    /// <summary>A file or folder that must exist (a corpus: a folder of files, or one file).</summary>
    public static Option<string> InputPath(string name, string byDefault, string description) =>
        Path(name, byDefault, description, PathKind.InputPath, "PATH");

    /// <summary>A folder that may not exist yet (an output, created when missing; or a model whose absence the command explains); an existing file of that name is refused.</summary>
    public static Option<string> Folder(string name, string byDefault, string description) =>
        Path(name, byDefault, description, PathKind.OutputFolder, "DIR");

    /// <summary>An optional output folder (no default: the feature is off unless the option is given); an existing file of that name is refused.</summary>
    public static Option<string> OptionalFolder(string name, string description) =>
        Path(name, null, description, PathKind.OutputFolder, "DIR");

    /// <summary>A file that must exist and be a file (not a folder); no default when <paramref name="byDefault"/> is null.</summary>
    public static Option<string> InputFile(string name, string? byDefault, string description) =>
        Path(name, byDefault, description, PathKind.InputFile, "FILE");

    /// <summary>A file that is written (its folder created when missing); an existing folder of that name is refused.</summary>
    public static Option<string> OutputFile(string name, string byDefault, string description) =>
        Path(name, byDefault, description, PathKind.OutputFile, "FILE");

    /// <summary>
    /// Checks the paths of <paramref name="options"/> on <paramref name="command"/> whether given or default, so that a
    /// missing data folder is a usage error before any work starts, like a path given wrong.
    /// </summary>
    public static void CheckPaths(Command command, params Option<string>[] options) =>
        Validate(command, result =>
        {
            foreach (var option in options)
            {
                // A given path is checked by its own validator (one given without its value is the parser's error):
                // only a default that the parser put in the tree is read here. (An absent option has no result while the
                // command is checked, so its default is found missing when the command opens it, naming the path:
                // checking it here would hide the options' own errors, which System.CommandLine skips after this one.)
                if (result.GetResult(option) is not { Implicit: true } defaulted) continue;
                if (KindTable.TryGetValue(option, out var kind) && TryValue<string>(defaulted, out var path) && path is not null && Problem(option.Name, path, (PathKind)kind) is { } problem)
                    result.AddError(problem);
            }
        });

    /// <summary>
    /// Adds a check of <paramref name="command"/> as a whole (a combination of options, a default path). It runs only
    /// when every option given has its value and every whole number given is within its own bounds: System.CommandLine
    /// skips the options' own checks once a command check has failed, so a check of the whole would otherwise hide
    /// "Required argument missing for option: '--model'" or "--columns must be in [1, 1000]" behind an error about
    /// something else. It reads values through <see cref="TryGetValue"/>.
    /// </summary>
    public static void Validate(Command command, Action<CommandResult> check)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(check);
        command.Validators.Add(result =>
        {
            if (!result.Children.OfType<OptionResult>().Any(given => MissingItsValue(given) || Refuses.TryGetValue(given.Option, out var refused) && refused(given))) check(result);
        });
    }

    /// <summary>The own check of each bounded option, so that a check of the whole runs only on values each option accepts.</summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Option, Func<OptionResult, bool>> Refuses = [];

    /// <summary>Whether <paramref name="given"/> is an option on the command line without the value it needs (<c>--model</c> last, <c>--data=</c>).</summary>
    static bool MissingItsValue(OptionResult given) =>
        !given.Implicit && given.Tokens.Count == 0 && given.Option.Arity.MinimumNumberOfValues > 0;

    /// <summary>
    /// The value of <paramref name="option"/> for a command validator (its default when absent), or false when it has
    /// none to read: given without its value, or with one that does not convert (the parser reports both itself, naming
    /// the option). A command validator reads every value through this, never <c>GetValue</c>, which throws on those.
    /// </summary>
    public static bool TryGetValue<T>(CommandResult result, Option<T> option, out T? value)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.GetResult(option) is { } given) return TryValue(given, out value);
        // Absent: its default (or the type's, with none), read from the option itself, which cannot fail to convert.
        value = option.HasDefaultValue ? (T?)option.GetDefaultValue() : default;
        return true;
    }

    /// <summary>The kind of path an option names.</summary>
    enum PathKind { InputFolder, OutputFolder, InputFile, OutputFile, InputPath }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Option, object> KindTable = [];

    static Option<string> Path(string name, string? byDefault, string description, PathKind kind, string helpName)
    {
        var option = Once(new Option<string>(name) { Description = description, HelpName = helpName });
        if (byDefault is not null) option.DefaultValueFactory = _ => byDefault;
        KindTable.Add(option, kind);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || !TryValue<string>(result, out var path)) return;
            if (Problem(name, path ?? "", kind) is { } problem) result.AddError(problem);
        });
        return option;
    }

    static string? Problem(string name, string path, PathKind kind)
    {
        if (path.Length == 0) return $"{name} must name a {(kind is PathKind.InputFile or PathKind.OutputFile ? "file" : "folder")}, got an empty path.";
        if (path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0) return $"{name} '{path}' is not a valid path.";
        return kind switch
        {
            PathKind.InputFolder when File.Exists(path) => $"{name} must be a folder, but '{path}' is a file.",
            PathKind.InputFolder when !Directory.Exists(path) => $"{name}: the folder '{path}' does not exist.",
            PathKind.OutputFolder when File.Exists(path) => $"{name} must be a folder, but '{path}' is a file.",
            PathKind.InputPath when !File.Exists(path) && !Directory.Exists(path) => $"{name}: there is no file or folder '{path}'.",
            PathKind.InputFile when Directory.Exists(path) => $"{name} must be a file, but '{path}' is a folder.",
            PathKind.InputFile when !File.Exists(path) => $"{name}: the file '{path}' does not exist.",
            PathKind.OutputFile when Directory.Exists(path) => $"{name} must be a file to write, but '{path}' is a folder.",
            _ => null,
        };
    }

    /// <summary>The one-letter aliases, the same in every command: <c>-e</c> epochs, <c>-b</c> batch, <c>-o</c> out, <c>-m</c> minutes.</summary>
    public static IReadOnlyDictionary<string, string> ShortNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--epochs"] = "-e", ["--batch"] = "-b", ["--out"] = "-o", ["--minutes"] = "-m",
    };

    /// <summary>Adds the check that <paramref name="option"/> is given at most once (under any of its names), and its one-letter alias.</summary>
    static Option<T> Once<T>(Option<T> option)
    {
        if (ShortNames.TryGetValue(option.Name, out var alias)) option.Aliases.Add(alias);
        option.Validators.Add(result =>
        {
            if (result.IdentifierTokenCount > 1)
                result.AddError($"{option.Name} is given {result.IdentifierTokenCount} times; give it once.");
            if (result.Tokens.Count > 0 && result.Tokens[0].Value is var value && value.StartsWith('-') && IsOptionName(result, value))
                result.AddError($"{option.Name} is missing its value ('{value}' is an option).");
        });
        return option;
    }

    /// <summary>The parsed value, false when the text did not convert (System.CommandLine reports that itself).</summary>
    internal static bool TryValue<T>(OptionResult result, out T? value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }

    /// <summary>Whether <paramref name="word"/> names an option of the command <paramref name="result"/> belongs to (or help, version, verbose).</summary>
    static bool IsOptionName(OptionResult result, string word) =>
        word is "-h" or "-?" or "--help" or "--version" or "--verbose"
        || result.Parent is CommandResult { Command: var command } && command.Options.Any(o => o.Name == word || o.Aliases.Contains(word));

    static string Accepted(int min, int max) => (min, max) switch
    {
        (_, int.MaxValue) => $"at least {min}",
        _ => $"in [{min}, {max}]",
    };

    static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
