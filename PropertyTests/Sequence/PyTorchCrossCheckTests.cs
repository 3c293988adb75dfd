using System.Diagnostics;
using Functional.Core;
using Functional.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Sequence;

/// <summary>The layers whose weights a PyTorch user loads by name: a bidirectional 2-layer LSTM and a Linear.</summary>
/// <param name="Lstm">Its tree paths are PyTorch's <c>nn.LSTM</c> state-dict names.</param>
/// <param name="Linear"><c>weight</c> [out, in] and <c>bias</c>, as <c>nn.Linear</c>.</param>
public sealed record CrossCheckModel(LstmParams Lstm, LinearParams Linear);

/// <summary>
/// Our weights in PyTorch itself: a safetensors file written here is loaded by tools/crosscheck_pytorch.py into
/// <c>torch.nn.LSTM</c> and <c>torch.nn.Linear</c> with <c>load_state_dict(strict=True)</c>, which runs the same input and
/// compares the outputs to ours (1e-5).
/// </summary>
public sealed class PyTorchCrossCheckTests(ITestOutputHelper output)
{
    [PyTorchFact]
    public void Pytorch_loads_our_lstm_and_linear_by_name_and_computes_the_same_outputs()
    {
        using var scope = torch.NewDisposeScope();
        var generator = Rng(17);
        const int features = 5, hidden = 4, outputs = 3;
        var model = new CrossCheckModel(
            Lstm.Init(generator, features, hidden, 2, bidirectional: true, Cpu),
            Linear.Init(generator, 2 * hidden, outputs, Cpu));
        var input = torch.randn([3, 6, features], generator: generator);
        var mask = torch.ones([3, 6], dtype: torch.@bool);
        var result = Lstm.Apply(model.Lstm, input, mask);
        var projected = Linear.Apply(model.Linear, result.Output.Values);
        var tensors = TreeFile.Tensors(model).Concat(
        [
            new NamedTensor("input", input), new NamedTensor("expected/output", result.Output.Values),
            new NamedTensor("expected/hidden", result.Hidden), new NamedTensor("expected/cell", result.Cell),
            new NamedTensor("expected/linear", projected),
        ]).Select(t => t with { Value = t.Value.detach().contiguous() }).ToArray();
        var file = Path.Combine(Path.GetTempPath(), $"crosscheck-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(file, SafeTensors.Serialize(tensors, new Dictionary<string, string>()));
            var (exitCode, text) = PythonTorch.Run(PythonTorch.Script("crosscheck_pytorch.py"), file, "1e-5");
            output.WriteLine(text);
            Assert.True(exitCode == 0, $"tools/crosscheck_pytorch.py failed (exit {exitCode}):\n{text}");
            Assert.Contains("cross-check passed", text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_file_holds_exactly_the_state_dict_names_of_torch_nn_lstm_and_linear()
    {
        using var scope = torch.NewDisposeScope();
        var model = new CrossCheckModel(Lstm.Init(Rng(1), 5, 4, 2, true, Cpu), Linear.Init(Rng(2), 8, 3, Cpu));
        using var lstm = torch.nn.LSTM(5, 4, 2, batchFirst: true, bidirectional: true);
        using var linear = torch.nn.Linear(8, 3);
        var expected = lstm.state_dict().Keys.Select(k => "lstm/" + k).Concat(linear.state_dict().Keys.Select(k => "linear/" + k));
        Assert.Equal(expected, TreeFile.Tensors(model).Select(t => t.Name));
    }
}

/// <summary>A Python 3 with PyTorch (Debian's python3-torch in CI), found once.</summary>
public static class PythonTorch
{
    static readonly Lazy<string?> Found = new(() => new[] { "python3", "/usr/bin/python3" }.FirstOrDefault(CanImportTorch));

    /// <summary>The interpreter that imports torch, or null.</summary>
    public static string? Interpreter => Found.Value;

    /// <summary>Runs a script with the interpreter; returns its exit code and its standard output and error.</summary>
    public static (int ExitCode, string Output) Run(string script, params string[] arguments)
    {
        var interpreter = Interpreter ?? throw new InvalidOperationException(
            "No python3 with torch: apt-get install python3-torch libopenblas0-pthread (Debian 12), or pip install torch.");
        var start = new ProcessStartInfo(interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out after 2 minutes\n" + standardOutput.Result + standardError.Result);
        }
        return (process.ExitCode, standardOutput.Result + standardError.Result);
    }

    /// <summary>The path of a script in the repository's tools folder.</summary>
    public static string Script(string name) => Path.Combine(RepositoryRoot(), "tools", name);

    static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Functional.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException($"No Functional.sln above {AppContext.BaseDirectory}.");
    }

    static bool CanImportTorch(string interpreter)
    {
        try
        {
            var start = new ProcessStartInfo(interpreter, ["-c", "import torch"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start);
            if (process is null) return false;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            return process.WaitForExit(TimeSpan.FromMinutes(1)) && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

/// <summary>
/// A fact that needs Python with PyTorch: skipped, with the reason, when there is none outside CI; under CI
/// (<c>CI=true</c>) it always runs, so a CI without python3-torch fails instead of passing silently.
/// </summary>
public sealed class PyTorchFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when no python3 imports torch and this is not CI.</summary>
    public PyTorchFactAttribute()
    {
        if (PythonTorch.Interpreter is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Skip = "No python3 with torch (Debian: apt-get install python3-torch libopenblas0-pthread). Under CI=true this test runs and fails instead.";
    }
}
