using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Functional.Cli;

namespace Functional.Benchmarks;

/// <summary>
/// Runs the suites: <c>dotnet run --project Benchmarks -c Release -- --filter '*'</c>. Each suite puts the
/// library beside a TorchSharp peer in the same process and reports the ratio (BenchmarkDotNet's Ratio column).
/// </summary>
public static class Program
{
    /// <summary>
    /// Entry point; arguments are BenchmarkDotNet's (e.g. <c>--filter *Gradient*</c>), or one of the side-by-side
    /// comparisons: <c>--side-by-side</c> (optimizers), <c>--interleaved-lstm N</c>
    /// (<see cref="MaskedLstmBenchmark.Interleaved"/>), <c>word2vec-race</c>, <c>train-loop [steps]</c>
    /// (<see cref="TrainingLoopRace"/>), <c>gan-race</c> (<see cref="GanRace"/>), <c>titles-race [rounds]</c>
    /// (<see cref="TitlesRace"/>), <c>titles-generate [count] [beam] [batch] [model] [threads]</c> (<see cref="TitlesGenerate"/>), <c>titles-profile [rounds] [name filters]</c> (<see cref="TitlesProfile"/>),
    /// <c>titles-decode [--rounds N] [--threads N] ...</c> (<see cref="TitlesDecode"/>: incremental beam search against re-running the prefix),
    /// <c>scalar-race [iterations] [parts...]</c> (<see cref="ScalarRace"/>), <c>scaling [--model mnist|titles|all]
    /// [--mnist-steps n] [--mnist-batch n] [--titles-steps n] [--titles-batch n]</c> (<see cref="DataParallelScaling"/>: 2 MPI
    /// ranks against 1 process with 1 and 2 threads, for the MNIST MLP and the title model), <c>conv2d-layout</c>
    /// (<see cref="Conv2dLayout"/>), <c>batchnorm-race</c> (<see cref="BatchNormRace"/>), <c>transformer-race [--rounds N] ...</c>
    /// (<see cref="TransformerRace"/>: a transformer block against TorchSharp's <c>nn.TransformerEncoderLayer</c>),
    /// <c>transformer-profile</c> (<see cref="TransformerProfile"/>: the block's pieces one by one), <c>unilm-step</c>
    /// (<see cref="UniLmStepTiming"/>: the UniLM title model's training forward and backward),
    /// <c>mpi-kill-resume [--runs N] ...</c> (<see cref="MpiKillResume"/>: 2-rank mnist runs with rank 0 killed and resumed under GC pressure; crashes and hangs counted),
    /// <c>exact-race [--micro-shards M] ...</c> (<see cref="ExactReductionRace"/>: the world-size-invariant step against today's, in one process),
    /// <c>zero-memory</c> and <c>mpirun -np R ... zero-race</c> (<see cref="ZeroRace"/>: ZeRO-1's optimizer-state bytes per rank, and its step against the unsharded exact step),
    /// <c>thread-defaults [--load K] ...</c> (<see cref="ThreadDefaults"/>: libtorch thread settings for the README's commands, quiet or under K busy processes).
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.FirstOrDefault() == "word2vec-race") return Word2VecRace.Run(args[1..]);
        if (args.FirstOrDefault() == "train-loop") return TrainingLoopRace.Run(args[1..]);
        if (args.FirstOrDefault() == "gan-race") return GanRace.Run(args[1..]);
        if (args.FirstOrDefault() == "titles-race") return TitlesRace.Run(args[1..]);
        if (args.FirstOrDefault() == "titles-profile") return TitlesProfile.Run(args[1..]);
        if (args.FirstOrDefault() == "titles-generate") return TitlesGenerate.Run(args[1..]);
        if (args.FirstOrDefault() == "titles-decode") return TitlesDecode.Run(args[1..]);
        if (args.FirstOrDefault() == "scalar-race") return ScalarRace.Run(args[1..]);
        if (args.FirstOrDefault() == "safe-arithmetic") return SafeArithmeticRace.Run(args[1..]);
        if (args.FirstOrDefault() == "conv2d-layout") return Conv2dLayout.Run(args[1..]);
        if (args.FirstOrDefault() == "batchnorm-race") return BatchNormRace.Run(args[1..]);
        if (args.FirstOrDefault() == "transformer-race") return TransformerRace.Run(args[1..]);
        if (args.FirstOrDefault() == "transformer-profile") return TransformerProfile.Run(args[1..]);
        if (args.FirstOrDefault() == "unilm-step") return UniLmStepTiming.Run(args[1..]);
        if (args.FirstOrDefault() == "scaling") return DataParallelScaling.Run(args[1..]);
        if (args.FirstOrDefault() == "scaling-worker") return DataParallelScaling.Worker(args[1..]);
        if (args.FirstOrDefault() == "mpi-kill-resume") return MpiKillResume.Run(args[1..]);
        if (args.FirstOrDefault() == "exact-race") return ExactReductionRace.Run(args[1..]);
        if (args.FirstOrDefault() == "zero-memory") return ZeroRace.Memory(args[1..]);
        if (args.FirstOrDefault() == "zero-race") return ZeroRace.Run(args[1..]);
        if (args.FirstOrDefault() == "thread-defaults") return ThreadDefaults.Run(args[1..]);
        if (args.FirstOrDefault() == "thread-defaults-worker") return ThreadDefaults.Worker(args[1..]);
        if (args.Contains("--side-by-side"))
        {
            SideBySide.Run();
            return 0;
        }
        if (args.Length == 2 && args[0] == "--interleaved-lstm")
        {
            MaskedLstmBenchmark.Interleaved(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
            return 0;
        }

        // In process: the projects BenchmarkDotNet would generate for out-of-process runs do not get the build's
        // libLibTorchSharp.so fix (see build/TorchSharpNativeFix.targets), so TorchSharp would not load in them.
        var toolchain = new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: false);
        var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(toolchain).AsDefault());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
