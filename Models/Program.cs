namespace Functional.Models;

/// <summary>The command line of the example models.</summary>
public static class Program
{
    /// <summary>Runs the command named by the first argument.</summary>
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: Functional.Models <command> [options]");
        return args.Length == 0 ? 2 : 0;
    }
}
