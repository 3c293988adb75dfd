using System.CommandLine;
using TorchSharp;

namespace Functional.Cli;

/// <summary>
/// Hidden commands that report how the program runs, for tests and for support: <c>libtorch-threads</c> prints the
/// thread count libtorch runs with and the OpenMP wait variables of the native environment, after the start-up
/// defaults and the command's <c>--threads</c> (<see cref="LibtorchThreads"/>). Not listed in the help.
/// </summary>
public sealed class DiagnosticCommands : ICommandFamily
{
    /// <inheritdoc />
    public Command Build(CommandContext context)
    {
        var threads = LibtorchThreads.Option(0);
        var command = new Command("libtorch-threads", "print libtorch's thread count and the OpenMP wait variables it loaded with") { threads };
        command.Hidden = true;
        command.SetAction(_ =>
        {
            context.Output.WriteLine($"libtorch threads: {torch.get_num_threads()}");
            context.Output.WriteLine($"chosen for the load at start: {(LibtorchThreads.StartupThreads > 0 ? LibtorchThreads.StartupThreads : "none")}");
            foreach (var name in new[] { LibtorchThreads.WaitPolicyVariable, LibtorchThreads.SpinCountVariable })
                context.Output.WriteLine($"{name}: {LibtorchThreads.NativeValue(name) ?? "(unset)"}");
        });
        return command;
    }
}
