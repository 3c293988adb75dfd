using System.CommandLine;

namespace Functional.Cli;

/// <summary>One flag of a <see cref="FlagTable{TOptions}"/>: its option and how its parsed value sets the options record.</summary>
/// <typeparam name="TOptions">The options record.</typeparam>
/// <param name="Option">The option on the command line (name, help text, default, checks).</param>
/// <param name="Set">
/// The record with the option's parsed value (or its default) put in its field; null for a flag the command reads
/// itself, which leaves the record as it is.
/// </param>
public sealed record FlagBinding<TOptions>(Option Option, Func<ParseResult, TOptions, TOptions>? Set)
{
    /// <summary>Whether the flag sets a field of the record (false: the command reads it itself).</summary>
    public bool Sets => Set is not null;

    /// <summary><paramref name="options"/> with this flag's value from <paramref name="parsed"/> set (unchanged when the flag sets no field).</summary>
    public TOptions Apply(ParseResult parsed, TOptions options) => Set is null ? options : Set(parsed, options);
}
