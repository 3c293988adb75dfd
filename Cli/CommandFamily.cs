using System.Reflection;

namespace Functional.Cli;

/// <summary>
/// The commands of one model (<c>titles train</c>, <c>titles generate</c>...). A model's command file is a class that
/// implements this with a public parameterless constructor; <see cref="CommandFamilies.All"/> finds it, so adding a
/// model's commands touches no other file.
/// </summary>
public interface ICommandFamily
{
    /// <summary>The first word of the command line (<c>titles</c>).</summary>
    string Name { get; }

    /// <summary>The usage lines of the family's commands, indented as the usage page shows them.</summary>
    string Usage { get; }

    /// <summary>The commands by their second word; the empty name is the command run when no known second word follows (<c>mnist --epochs 1</c>).</summary>
    IReadOnlyDictionary<string, Func<Arguments, int>> Commands { get; }
}

/// <summary>The command families of this program, found by reflection.</summary>
public static class CommandFamilies
{
    /// <summary>Every <see cref="ICommandFamily"/> in this assembly, by name.</summary>
    public static IReadOnlyList<ICommandFamily> All { get; } =
        typeof(ICommandFamily).Assembly.GetTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(ICommandFamily).IsAssignableFrom(type))
            .Select(type => (ICommandFamily)Activator.CreateInstance(type)!)
            .OrderBy(family => family.Name, StringComparer.Ordinal)
            .ToArray();

    /// <summary>
    /// The command that <paramref name="args"/> name and the arguments after its name, or null when no family or
    /// command matches.
    /// </summary>
    public static (Func<Arguments, int> Run, string[] Remaining)? Find(string[] args)
    {
        if (args.Length == 0 || All.FirstOrDefault(f => f.Name == args[0]) is not { } family) return null;
        if (args.Length > 1 && family.Commands.TryGetValue(args[1], out var named)) return (named, args[2..]);
        return family.Commands.TryGetValue("", out var fallback) ? (fallback, args[1..]) : null;
    }
}
