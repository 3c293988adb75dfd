namespace Functional.Cli;

/// <summary>The command line of the example models: each model's commands are an <see cref="ICommandFamily"/>.</summary>
public static class Program
{
    /// <summary>The usage page: every family's usage lines, in name order.</summary>
    public static string Usage =>
        "usage: Functional.Cli <command> [--option value ...]\n\ncommands:\n" + string.Join("", CommandFamilies.All.Select(family => family.Usage));

    /// <summary>Runs the command named by the first arguments; returns 0 on success, 2 on bad usage, 1 on failure.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var (run, rest) = CommandFamilies.Find(args) ?? throw new ArgumentException($"Unknown command '{string.Join(' ', args.Take(2))}'.");
            return run(new Arguments(rest));
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (Exception error) when (error is IOException or InvalidDataException)
        {
            Console.Error.WriteLine(error.Message);
            return 1;
        }
    }
}
