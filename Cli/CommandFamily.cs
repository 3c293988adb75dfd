using System.CommandLine;

namespace Functional.Cli;

/// <summary>
/// The commands of one model (<c>titles train</c>, <c>titles generate</c>...). A model's command file is a class that
/// implements this with a public parameterless constructor; <see cref="CommandFamilies.All"/> finds it, so adding a
/// model's commands touches no other file.
/// </summary>
public interface ICommandFamily
{
    /// <summary>
    /// The family's command (<c>titles</c>) with its subcommands, options (defaults taken from the model's option
    /// records), validators and actions writing to <paramref name="context"/>.
    /// </summary>
    Command Build(CommandContext context);
}

/// <summary>The command families of this program, found by reflection.</summary>
public static class CommandFamilies
{
    /// <summary>Every <see cref="ICommandFamily"/> in this assembly.</summary>
    public static IReadOnlyList<ICommandFamily> All { get; } =
        typeof(ICommandFamily).Assembly.GetTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(ICommandFamily).IsAssignableFrom(type))
            .OrderBy(type => type.Name, StringComparer.Ordinal)
            .Select(type => (ICommandFamily)Activator.CreateInstance(type)!)
            .ToArray();
}
