using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Functional.Benchmarks;

/// <summary>
/// Runs the suites: <c>dotnet run --project Benchmarks -c Release -- --filter '*'</c>. Each suite puts the
/// library beside a TorchSharp peer in the same process and reports the ratio (BenchmarkDotNet's Ratio column).
/// </summary>
public static class Program
{
    /// <summary>Entry point; arguments are BenchmarkDotNet's (e.g. <c>--filter *Gradient*</c>), or <c>--interleaved-lstm N</c> for <see cref="MaskedLstmBenchmark.Interleaved"/>.</summary>
    public static void Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--interleaved-lstm")
        {
            MaskedLstmBenchmark.Interleaved(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
            return;
        }
        // In-process: TorchSharp's native library is already loaded and patched in this build's output.
        var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
