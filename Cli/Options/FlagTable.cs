using System.Collections;
using System.CommandLine;
using System.Runtime.CompilerServices;

namespace Functional.Cli;

/// <summary>
/// The flags of a command that configure one options record, each declared once: the option (its name, help text and
/// check, its default read from the record the table starts from, <see cref="Defaults"/>) together with how its value
/// sets the record. Adding a flag is one line of a collection initializer:
/// <code>{ d =&gt; Flags.Count("--epochs", d.Epochs, "passes over the data"), (o, v) =&gt; o with { Epochs = v } }</code>
/// <see cref="AddTo"/> puts the options on the command in declaration order (the order the help lists them), and
/// <see cref="Read(ParseResult)"/> makes the record from a parse: the defaults, each flag's value set in turn, then the
/// record's own check. Every option keeps the checks its <see cref="Flags"/> factory gave it.
/// </summary>
/// <typeparam name="TOptions">The options record the flags set (an immutable record, changed with <c>with</c>).</typeparam>
public sealed class FlagTable<TOptions> : IEnumerable<Option>
{
    readonly List<FlagBinding<TOptions>> bindings = [];
    readonly List<Func<TOptions, TOptions>> checks = [];

    /// <summary>A table whose flags default to <paramref name="defaults"/>' fields.</summary>
    /// <param name="defaults">The record an absent flag leaves as it is, and whose fields the declarations show as defaults.</param>
    /// <param name="check">
    /// The record's own validation, run on the record read (it throws on a bad combination, naming the field); null:
    /// none beyond the options' own checks.
    /// </param>
    public FlagTable(TOptions defaults, Func<TOptions, TOptions>? check = null)
    {
        Defaults = defaults;
        if (check is not null) checks.Add(check);
    }

    /// <summary>The record the flags start from: an absent flag leaves its field as here.</summary>
    public TOptions Defaults { get; }

    /// <summary>Every flag, in declaration order (included tables' flags where they were included).</summary>
    public IReadOnlyList<FlagBinding<TOptions>> Bindings => bindings;

    /// <summary>Declares a flag that sets the record.</summary>
    /// <param name="declare">Makes the option from <see cref="Defaults"/> (a <see cref="Flags"/> factory, its default one of the record's fields).</param>
    /// <param name="set">The record with the flag's value put in its field.</param>
    /// <returns>The option made.</returns>
    public Option<T> Add<T>(Func<TOptions, Option<T>> declare, Func<TOptions, T, TOptions> set)
    {
        ArgumentNullException.ThrowIfNull(declare);
        ArgumentNullException.ThrowIfNull(set);
        var option = declare(Defaults);
        Refuse(option.Name);
        bindings.Add(new FlagBinding<TOptions>(option, (parsed, options) => set(options, parsed.GetValue(option)!)));
        return option;
    }

    /// <summary>
    /// Declares a flag of the command that the record has no field for (the command reads it itself, through
    /// <see cref="Find{T}"/>): it takes its place in the help's order and leaves the record as it is.
    /// </summary>
    /// <param name="declare">Makes the option from <see cref="Defaults"/>.</param>
    /// <returns>The option made.</returns>
    public Option<T> Add<T>(Func<TOptions, Option<T>> declare)
    {
        ArgumentNullException.ThrowIfNull(declare);
        var option = declare(Defaults);
        Refuse(option.Name);
        bindings.Add(new FlagBinding<TOptions>(option, null));
        return option;
    }

    /// <summary>
    /// Includes the flags of <paramref name="inner"/>, a table of a record nested in this one (a corpus's options in a
    /// training run's), at this place in the order; its check runs on the nested record after every flag is set.
    /// </summary>
    /// <param name="inner">The nested record's table; its flags show its own defaults.</param>
    /// <param name="get">The nested record of a record of this table.</param>
    /// <param name="set">The record with the nested record replaced.</param>
    public void Add<TInner>(FlagTable<TInner> inner, Func<TOptions, TInner> get, Func<TOptions, TInner, TOptions> set)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(get);
        ArgumentNullException.ThrowIfNull(set);
        foreach (var binding in inner.Bindings)
        {
            Refuse(binding.Option.Name);
            bindings.Add(new FlagBinding<TOptions>(binding.Option, binding.Sets ? (parsed, options) => set(options, binding.Apply(parsed, get(options))) : null));
        }
        checks.Add(options => set(options, inner.Check(get(options))));
    }

    /// <summary>The option named <paramref name="name"/> (to read a flag the record has no field for, or to check a combination).</summary>
    /// <exception cref="ArgumentException">No flag of this table has that name and type; the message lists the names.</exception>
    public Option<T> Find<T>(string name) =>
        bindings.Select(b => b.Option).OfType<Option<T>>().SingleOrDefault(o => o.Name == name)
        ?? throw new ArgumentException($"The table has no {typeof(T).Name} flag {name}; it has {string.Join(", ", bindings.Select(b => b.Option.Name))}.", nameof(name));

    /// <summary>Adds every option to <paramref name="command"/> in declaration order; <see cref="Of"/> finds this table from the command.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var binding in bindings) command.Add(binding.Option);
        Attached.AddOrUpdate(command, this);
    }

    /// <summary>The record <paramref name="parsed"/> gives: <see cref="Defaults"/>, each flag's value (or default) set in turn, then checked.</summary>
    /// <exception cref="ArgumentException">The record's check refused the combination (as the record's <c>Validate</c> does).</exception>
    public TOptions Read(ParseResult parsed) => Read(parsed, Defaults);

    /// <summary>The record <paramref name="parsed"/> gives from <paramref name="start"/>: each flag's value (or default) set in turn, then checked.</summary>
    /// <exception cref="ArgumentException">The record's check refused the combination (as the record's <c>Validate</c> does).</exception>
    public TOptions Read(ParseResult parsed, TOptions start)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return Check(bindings.Aggregate(start, (options, binding) => binding.Apply(parsed, options)));
    }

    /// <summary>The table whose options <see cref="AddTo"/> put on <paramref name="command"/>.</summary>
    /// <exception cref="ArgumentException">No table of this record was added to the command.</exception>
    public static FlagTable<TOptions> Of(Command command) =>
        Attached.TryGetValue(command, out var table) ? table
            : throw new ArgumentException($"The command '{command.Name}' has no flag table of {typeof(TOptions).Name}.", nameof(command));

    /// <inheritdoc />
    public IEnumerator<Option> GetEnumerator() => bindings.Select(b => b.Option).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    TOptions Check(TOptions options) => checks.Aggregate(options, (checkedSoFar, check) => check(checkedSoFar));

    void Refuse(string name)
    {
        if (bindings.Any(b => b.Option.Name == name)) throw new ArgumentException($"The flag {name} is declared twice in the table of {typeof(TOptions).Name}.", nameof(name));
    }

    static readonly ConditionalWeakTable<Command, FlagTable<TOptions>> Attached = [];
}
