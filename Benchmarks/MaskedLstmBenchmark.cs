using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Functional.Core;
using TorchSharp;
using Functional.Cli;

namespace Functional.Benchmarks;

/// <summary>
/// Issue 3's benchmark: one forward and backward pass of a masked bidirectional LSTM (batch 64, length 100,
/// 128 -> 256 per direction) through <see cref="Autodiff.ValueAndGrad{TParams}"/>, versus TorchSharp's
/// <c>nn.LSTM</c> on a packed sequence with <c>backward()</c> (the baseline); same weights, same batch, same
/// row lengths (uniform in 50..100, unsorted). A third case gives every row a hole at position 10, which takes the
/// step loop instead of the fused kernel.
/// </summary>
/// <remarks>One operation takes seconds, so the job is short: in process, 1 warm-up and 5 measured single invocations each.</remarks>
[MemoryDiagnoser]
[Config(typeof(Short))]
public class MaskedLstmBenchmark
{
    /// <summary>In process (as <see cref="Program"/>), few iterations of one invocation.</summary>
    sealed class Short : ManualConfig
    {
        public Short() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(1).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1));
    }

    const int Batch = 64, Length = 100, Inputs = 128, Hidden = 256;

    LstmParams parameters = null!;
    TorchSharp.Modules.LSTM module = null!;
    torch.Tensor input = null!;
    torch.Tensor lengths = null!;
    torch.Tensor mask = null!;
    torch.Tensor holes = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var generator = new torch.Generator(1);
        parameters = Lstm.Init(generator, Inputs, Hidden, 1, bidirectional: true, torch.CPU);
        module = torch.nn.LSTM(Inputs, Hidden, 1, batchFirst: true, bidirectional: true);
        var named = module.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        using (torch.no_grad())
            foreach (var (cell, suffix) in new[] { (parameters.Layers[0].Forward, ""), (parameters.Layers[0].Backward!, "_reverse") })
            {
                named[$"weight_ih_l0{suffix}"].copy_(cell.InputWeight);
                named[$"weight_hh_l0{suffix}"].copy_(cell.HiddenWeight);
                named[$"bias_ih_l0{suffix}"].copy_(cell.InputBias);
                named[$"bias_hh_l0{suffix}"].copy_(cell.HiddenBias);
            }
        input = torch.randn([Batch, Length, Inputs], generator: generator);
        lengths = torch.randint(50, Length + 1, [Batch], generator: generator);
        mask = Masks.FromLengths(lengths, Length);
        holes = mask.clone();
        holes[.., 10] = torch.tensor(false);
        // libtorch picks its thread count from the host, not from the cores this process may use.
        Console.WriteLine($"// torch threads: {torch.get_num_threads()}, processors: {Environment.ProcessorCount}");
    }

    /// <summary>
    /// The baseline and the fused path timed alternately for <paramref name="rounds"/> rounds (so both see the same
    /// machine load), printing each pair and the ratio of the minima and of the medians (baseline time / ours, so
    /// above 1 means ours is faster). Run with <c>dotnet run --project Benchmarks -c Release -- --interleaved-lstm 6</c>.
    /// </summary>
    public static void Interleaved(int rounds)
    {
        var benchmark = new MaskedLstmBenchmark();
        benchmark.Setup();
        benchmark.PackedModule();
        benchmark.MaskedLayer();
        var baseline = new List<double>();
        var ours = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            benchmark.PackedModule();
            baseline.Add(watch.Elapsed.TotalSeconds);
            watch.Restart();
            benchmark.MaskedLayer();
            ours.Add(watch.Elapsed.TotalSeconds);
            Console.WriteLine($"round {round}: nn.LSTM packed {baseline[^1]:F2} s, masked Lstm (fused) {ours[^1]:F2} s");
        }
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Console.WriteLine($"speed ratio (baseline / ours): minima {baseline.Min() / ours.Min():F2}, medians {Median(baseline) / Median(ours):F2}");
    }

    [Benchmark(Baseline = true, Description = "TorchSharp nn.LSTM packed + backward()")]
    public float PackedModule()
    {
        using var scope = torch.NewDisposeScope();
        module.zero_grad();
        var packed = torch.nn.utils.rnn.pack_padded_sequence(input, lengths, batch_first: true, enforce_sorted: false);
        var (output, _, _) = module.call(packed);
        var (padded, _) = torch.nn.utils.rnn.pad_packed_sequence(output, batch_first: true);
        var loss = padded.pow(Scalars.Two).mean();
        loss.backward();
        return loss.item<float>();
    }

    [Benchmark(Description = "masked Lstm (prefix mask: fused) + ValueAndGrad")]
    public float MaskedLayer()
    {
        using var scope = torch.NewDisposeScope();
        var result = Autodiff.ValueAndGrad(p => Lstm.Apply(p, input, mask).Output.Values.pow(Scalars.Two).mean(), parameters);
        return result.Value.item<float>();
    }

    [Benchmark(Description = "masked Lstm (a hole at position 10: step loop) + ValueAndGrad")]
    public float MaskedLayerWithHoles()
    {
        using var scope = torch.NewDisposeScope();
        var result = Autodiff.ValueAndGrad(p => Lstm.Apply(p, input, holes).Output.Values.pow(Scalars.Two).mean(), parameters);
        return result.Value.item<float>();
    }
}
