using System.CommandLine;
using Functional.Cli;
using Xunit;

namespace Functional.PropertyTests.CommandLine;

/// <summary>
/// Issue 31, item 3: every option that takes a value, of every command of every family (found by walking the command
/// tree, so a new option is covered without a line here), given without its value — last on the line, as
/// <c>--name=</c>, under its one-letter alias, and before <c>--text x</c> where the command has one — is a usage error
/// (exit 2) that names the option: never an exception out of a validator (rc 134 and a stack trace as a program).
/// </summary>
public sealed class MissingValueTests
{
    /// <summary>Every command with an action, by its words under the program, and the command (hidden diagnostics, such as <c>libtorch-threads</c>, left out).</summary>
    public static IEnumerable<(string[] Path, Command Command)> Commands()
    {
        var root = Program.Root(new CommandContext(TextWriter.Null, TextWriter.Null, CancellationToken.None));
        var pending = new Stack<(string[] Path, Command Command)>(root.Subcommands.Where(c => !c.Hidden).Select(c => (new[] { c.Name }, c)));
        while (pending.Count > 0)
        {
            var (path, command) = pending.Pop();
            if (command.Action is not null) yield return (path, command);
            foreach (var sub in command.Subcommands) pending.Push(([.. path, sub.Name], sub));
        }
    }

    /// <summary>The options of <paramref name="command"/> that take a value (not switches, help or version).</summary>
    public static IEnumerable<Option> Valued(Command command) =>
        command.Options.Where(o => o.ValueType != typeof(bool) && o.ValueType != typeof(void) && o is not System.CommandLine.Help.HelpOption and not VersionOption);

    /// <summary>(arguments, the option's names): each valued option of each command without its value, in each position.</summary>
    public static TheoryData<string[], string[]> Cases()
    {
        var rows = new TheoryData<string[], string[]>();
        foreach (var (path, command) in Commands())
            foreach (var option in Valued(command))
            {
                string[] names = [option.Name, .. option.Aliases];
                foreach (var name in names) rows.Add([.. path, name], names);
                rows.Add([.. path, option.Name + "="], names);
                if (option.Name != "--text" && command.Options.Any(o => o.Name == "--text")) rows.Add([.. path, "--text", "x", option.Name], names);
            }
        return rows;
    }

    [Fact]
    public void The_walk_finds_every_family_and_the_options_of_the_issue()
    {
        var found = Commands().ToDictionary(c => string.Join(' ', c.Path), c => Valued(c.Command).Select(o => o.Name).ToArray());
        Assert.Equal(HelpDefaultsTests.CommandPaths.Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("--out", found["mnist"]);
        Assert.Contains("--data", found["titles train"]);
        Assert.Contains("--model", found["titles eval"]);
        Assert.Contains("--model", found["titles generate"]);
        Assert.True(Cases().Count > 150, $"only {Cases().Count} cases");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_option_without_its_value_is_a_usage_error_naming_it(string[] args, string[] names)
    {
        // The parse alone (every validator run) must not throw: Program.Parse has no safety net around it.
        var parsed = Record.Exception(() => Program.Parse(args));
        Assert.True(parsed is null, $"{string.Join(' ', args)}: the parse threw {parsed}");
        Assert.NotEmpty(Program.Parse(args).Errors);
        var run = CommandLineRun.Of(args);
        Assert.True(run.ExitCode == Program.UsageError, $"{string.Join(' ', args)}\n{run}");
        Assert.True(names.Any(name => run.Error.Contains($"'{name}'", StringComparison.Ordinal) || run.Error.Contains($"{name} ", StringComparison.Ordinal)),
            $"{string.Join(' ', args)}: the error does not name {names[0]}\n{run}");
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", run.Error, StringComparison.Ordinal);
    }
}
