using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>
/// Two "hosts" on one machine: two network namespaces joined by a veth pair, each end named <see cref="Link"/> and given
/// one address of <c>10.231.0.0/30</c> (<see cref="AddressA"/>, <see cref="AddressB"/>), which exist only inside those
/// namespaces. <c>mpirun</c> runs in namespace A with a hostfile naming both addresses; instead of ssh it starts the
/// remote daemon through a launch agent that enters the namespace of the named host (<c>ip netns exec</c>, with its own
/// host name through <c>unshare --uts</c>). Names carry the process id and a counter, so parallel runs do not collide;
/// <see cref="Dispose"/> ends what still runs inside the namespaces and deletes them (the veth pair goes with them).
/// </summary>
public sealed class TwoHosts : IDisposable
{
    /// <summary>The veth end's name inside either namespace (one name, so one <c>*_if_include</c> value fits both hosts).</summary>
    public const string Link = "fth0";

    /// <summary>Host A's address (namespace A, where <c>mpirun</c> and rank 0 run).</summary>
    public const string AddressA = "10.231.0.1";

    /// <summary>Host B's address (namespace B, the "remote" host).</summary>
    public const string AddressB = "10.231.0.2";

    /// <summary>
    /// The <c>mpirun</c> options that make the job run over the veth link with TCP only and launch through the agent.
    /// The keep-alive settings bound how long <c>mpirun</c> takes to notice a cut link (5 s idle, then 3 probes 2 s apart;
    /// the defaults, 300 s and 9 x 20 s, leave the job hanging for 8 minutes).
    /// </summary>
    public IReadOnlyList<string> MpiOptions =>
    [
        "--allow-run-as-root", "--hostfile", Hostfile, "--mca", "plm_rsh_agent", Agent, "--mca", "plm_rsh_no_tree_spawn", "1",
        "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", Link, "--mca", "oob_tcp_if_include", Link,
        "--mca", "oob_tcp_keepalive_time", "5", "--mca", "oob_tcp_keepalive_intvl", "2", "--mca", "oob_tcp_keepalive_probes", "3",
    ];

    static int created;

    TwoHosts(string name, string folder)
    {
        NamespaceA = name + "a";
        NamespaceB = name + "b";
        Hostfile = Path.Combine(folder, "hostfile");
        Agent = Path.Combine(folder, "agent");
    }

    /// <summary>Namespace A's name.</summary>
    public string NamespaceA { get; }

    /// <summary>Namespace B's name.</summary>
    public string NamespaceB { get; }

    /// <summary>The hostfile: one slot on each address.</summary>
    public string Hostfile { get; }

    /// <summary>The launch agent (<c>agent HOST COMMAND...</c>).</summary>
    public string Agent { get; }

    /// <summary>Creates the namespaces, the link and the files; removes what it made when a step fails.</summary>
    public static TwoHosts Create()
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"fth{Environment.ProcessId}-{Interlocked.Increment(ref created)}");
        var folder = Path.Combine(Path.GetTempPath(), "functional-tests", name);
        Directory.CreateDirectory(folder);
        var hosts = new TwoHosts(name, folder);
        try
        {
            hosts.Build(name);
            return hosts;
        }
        catch
        {
            hosts.Dispose();
            throw;
        }
    }

    void Build(string name)
    {
        string a = NamespaceA, b = NamespaceB, endA = name + "a", endB = name + "b";
        Ip("netns", "add", a);
        Ip("netns", "add", b);
        Ip("link", "add", endA, "type", "veth", "peer", "name", endB);
        Ip("link", "set", endA, "netns", a);
        Ip("link", "set", endB, "netns", b);
        foreach (var (space, end, address) in new[] { (a, endA, AddressA), (b, endB, AddressB) })
        {
            Ip("-n", space, "link", "set", end, "name", Link);
            Ip("-n", space, "addr", "add", address + "/30", "dev", Link);
            Ip("-n", space, "link", "set", Link, "up");
            Ip("-n", space, "link", "set", "lo", "up");
        }
        File.WriteAllText(Hostfile, $"{AddressA} slots=1\n{AddressB} slots=1\n");
        File.WriteAllText(Agent, $"""
            #!/bin/sh
            # mpirun's launch agent in place of ssh: agent HOST COMMAND... runs COMMAND in HOST's network namespace.
            host=$1; shift
            case "$host" in
              {AddressA}) ns={a} ;;
              {AddressB}) ns={b} ;;
              *) echo "launch agent: no namespace for host '$host'" >&2; exit 1 ;;
            esac
            exec ip netns exec "$ns" unshare --uts /bin/sh -c "hostname $host && $*"

            """);
        Run("chmod", "700", Agent);
    }

    /// <summary>Starts <paramref name="program"/> (a .NET assembly) on 2 ranks, one per host, with <c>mpirun</c> in namespace A.</summary>
    public MpiJob.Job Start(string program, params string[] arguments)
    {
        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "netns", "exec", NamespaceA, "mpirun" }.Concat(MpiOptions).Concat(["-np", "2", dotnet, program]).Concat(arguments))
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start ip netns exec mpirun.");
        return new MpiJob.Job(process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
    }

    /// <summary>Takes host B's end of the link down: from then on neither host reaches the other.</summary>
    public void CutLink() => Ip("-n", NamespaceB, "link", "set", Link, "down");

    /// <summary>The processes running in <paramref name="space"/> (ids, from <c>ip netns pids</c>).</summary>
    public static int[] Processes(string space) =>
        Run("ip", "netns", "pids", space).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(id => int.Parse(id, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The command line of process <paramref name="pid"/> (arguments joined by spaces), empty once it has ended.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Kills (SIGKILL) what still runs in the namespaces, then deletes them; errors are ignored (nothing may be left).</summary>
    public void Dispose()
    {
        foreach (var space in new[] { NamespaceA, NamespaceB })
        {
            try
            {
                foreach (var pid in Processes(space))
                {
                    try
                    {
                        using var process = Process.GetProcessById(pid);
                        process.Kill();
                    }
                    catch (ArgumentException)
                    {
                    }
                    catch (InvalidOperationException)
                    {
                    }
                }
                Ip("netns", "delete", space);
            }
            catch (InvalidOperationException)
            {
            }
        }
        try
        {
            Directory.Delete(Path.GetDirectoryName(Hostfile)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    static void Ip(params string[] arguments) => Run("ip", arguments);

    /// <summary>Runs a short command; its output, or an error naming the command, its exit code and what it printed.</summary>
    internal static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} did not end within 30 s.");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {errors.Result.Trim()}");
        return output.Result;
    }
}

/// <summary>
/// A fact that needs two network namespaces: root, <c>ip netns</c> that works, <c>unshare</c> and OpenMPI. Skipped, with
/// the reason, where one is missing; under CI (<c>CI=true</c>) it always runs, so a CI that cannot make namespaces fails.
/// </summary>
public sealed class TwoHostsFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when the machine cannot make namespaces and this is not CI.</summary>
    public TwoHostsFactAttribute()
    {
        if (!string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) && TwoHostsRequirement.Missing.Value is { } reason)
            Skip = reason;
    }
}

static class TwoHostsRequirement
{
    public static readonly Lazy<string?> Missing = new(Probe);

    static string? Probe()
    {
        if (!Environment.IsPrivilegedProcess) return "Two network namespaces need root (ip netns add); run the tests as root, as CI does. Under CI=true this test runs and fails instead.";
        if (!MpiJob.Available) return "OpenMPI is not installed (no mpirun on PATH): apt-get install openmpi-bin libopenmpi-dev. Under CI=true this test runs and fails instead.";
        var probe = string.Create(CultureInfo.InvariantCulture, $"fth{Environment.ProcessId}-probe");
        try
        {
            TwoHosts.Run("unshare", "--version");
            TwoHosts.Run("ip", "netns", "add", probe);
            TwoHosts.Run("ip", "netns", "delete", probe);
            return null;
        }
        catch (Exception failed) when (failed is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"ip netns does not work here ({failed.Message}): apt-get install iproute2, and a container needs CAP_SYS_ADMIN. Under CI=true this test runs and fails instead.";
        }
    }
}
