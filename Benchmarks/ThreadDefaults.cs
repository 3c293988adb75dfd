using System.Diagnostics;
using System.Globalization;
using Functional.Core;
using Functional.Models.Digits;
using Functional.Models.Text;
using Functional.Models.Titles;
using Functional.Optimizers;
using Functional.Training;
using TorchSharp;

namespace Functional.Benchmarks;

/// <summary>
/// <c>thread-defaults [--load K] [--rounds R] [--settings a,b,...] [--train-steps N] [--generate-articles N] [--eval-articles N] [--mnist-steps N]</c>:
/// how libtorch's thread settings hold up on a quiet and on a busy machine, for the work of the README's commands.
/// Each setting runs in a fresh worker process (the thread count and OpenMP's wait policy are fixed when libtorch and
/// its libgomp load, so a setting made by an environment variable needs its own process); the settings alternate
/// within each of <c>R</c> rounds (3), each round in another order, and the median per setting is reported with its
/// ratio to the best setting of that workload. With <c>--load K</c> (0), K busy-spinning child processes
/// (<c>/bin/sh -c 'while :; do :; done'</c>, at this process's nice level) load the machine for the whole run and are
/// stopped at its end. The workloads, each timed after one untimed warm-up: <c>train</c>, N (3) training steps of the
/// default title model (the pipeline of <c>titles train</c>: clip, Adam, warm-up cosine, EMA, on the fused kernel) on
/// batches of 32 real pairs of LCSTS part II; <c>generate</c>, titles for N (32) validation articles with beam 4 in one
/// batch (<c>titles generate --file</c>); <c>eval</c>, greedy ROUGE of N (100) validation pairs (the scoring of
/// <c>titles eval</c> and of validation in training); <c>mnist</c>, N (300) steps of the MLP on batches of 64 MNIST
/// digits (<c>mnist</c>'s defaults). The title models are freshly initialised (the same seed in every worker), so their
/// titles run to the maximum length: a fixed amount of work.
/// </summary>
/// <remarks>
/// Settings: <c>default</c> (libtorch's own thread count and libgomp's spinning wait: what <c>titles</c> and
/// <c>mnist</c> did before), <c>threads1</c> (<c>torch.set_num_threads(1)</c>: <c>--threads 1</c>), <c>passive</c>
/// (<c>OMP_WAIT_POLICY=PASSIVE</c>: idle OpenMP workers sleep at once), <c>spin10k</c> and <c>spin100k</c> (<c>GOMP_SPINCOUNT=10000</c> or <c>100000</c>: a
/// short spin, then sleep), <c>cli</c> (what the command line now does at start: <see cref="Functional.Cli.LibtorchThreads.ApplyDefaults"/> and the thread count for the load, <see cref="Functional.Cli.LibtorchThreads.ChooseForLoad"/>).
/// </remarks>
public static class ThreadDefaults
{
    static readonly string[] Workloads = ["train", "generate", "eval", "mnist"];

    static readonly string[] AllSettings = ["default", "threads1", "passive", "spin10k", "spin100k", "cli"];

    const string DataDirectory = "../shared/data/lcsts-part2-clge";

    /// <summary>Runs every setting's worker in alternating rounds (under the optional load) and prints the table.</summary>
    public static int Run(string[] args)
    {
        var options = new Arguments(args);
        var load = options.Integer("load", 0);
        var rounds = options.Integer("rounds", 3);
        var settings = options.Text("settings", string.Join(",", AllSettings)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sizes = new[]
        {
            options.Integer("train-steps", 3), options.Integer("generate-articles", 32), options.Integer("eval-articles", 100), options.Integer("mnist-steps", 300),
        };
        options.CheckAllUsed();
        if (settings.FirstOrDefault(s => !AllSettings.Contains(s)) is { } unknown)
            throw new ArgumentException($"--settings: unknown setting '{unknown}' (known: {string.Join(", ", AllSettings)}).");
        if (load < 0 || rounds < 1) throw new ArgumentException("--load must be at least 0 and --rounds at least 1.");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"thread-defaults: {Environment.ProcessorCount} cores, {load} busy process(es), {rounds} round(s); nice {Nice()}; train {sizes[0]} steps, generate {sizes[1]} articles (beam 4), eval {sizes[2]} articles (greedy), mnist {sizes[3]} steps"));
        Console.WriteLine($"load average at start: {LoadAverage()}");
        var spinners = Enumerable.Range(0, load).Select(_ => Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "while :; do :; done"]))
            ?? throw new InvalidOperationException("Could not start a busy process.")).ToList();
        var times = settings.ToDictionary(s => s, _ => Workloads.ToDictionary(w => w, _ => new List<double>()));
        try
        {
            // A minute of load first, so that the 1-minute load average (which the command line's start-up reads) sees it,
            // as it does on a machine that is busy with other work.
            if (load > 0) Thread.Sleep(TimeSpan.FromSeconds(60));
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < settings.Length; i++)
                {
                    var setting = settings[(i + round) % settings.Length];
                    foreach (var (workload, seconds) in Launch(setting, sizes)) times[setting][workload].Add(seconds);
                }
                Console.WriteLine($"round {round + 1} done; load average: {LoadAverage()}");
            }
        }
        finally
        {
            foreach (var spinner in spinners)
            {
                spinner.Kill();
                spinner.WaitForExit();
                spinner.Dispose();
            }
        }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        Console.WriteLine($"median seconds per workload (ratio to the best setting of the workload), {load} busy process(es):");
        Console.WriteLine($"{"setting",-10}" + string.Concat(Workloads.Select(w => $"{w,20}")));
        var medians = settings.ToDictionary(s => s, s => Workloads.ToDictionary(w => w, w => Median(times[s][w])));
        foreach (var setting in settings)
            Console.WriteLine($"{setting,-10}" + string.Concat(Workloads.Select(w =>
            {
                var best = settings.Min(s => medians[s][w]);
                return string.Create(CultureInfo.InvariantCulture, $"{medians[setting][w],11:F2} s ({medians[setting][w] / best,4:F2}x)");
            })));
        return 0;
    }

    /// <summary><c>thread-defaults-worker setting train-steps generate-articles eval-articles mnist-steps</c>: prints <c>result workload seconds</c> lines.</summary>
    public static int Worker(string[] args)
    {
        var setting = args[0];
        // Before the first torch call: the command line's start-up, as Functional.Cli's Main runs it.
        if (setting == "cli")
        {
            Functional.Cli.LibtorchThreads.ApplyDefaults();
            Functional.Cli.LibtorchThreads.ChooseForLoad();
            if (Functional.Cli.LibtorchThreads.StartupThreads > 0) torch.set_num_threads(Functional.Cli.LibtorchThreads.StartupThreads);
        }
        if (setting == "threads1") torch.set_num_threads(1);
        var sizes = args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        Console.Error.WriteLine($"worker {setting}: torch threads {torch.get_num_threads()}, OMP_WAIT_POLICY={Functional.Cli.LibtorchThreads.NativeValue("OMP_WAIT_POLICY") ?? "(unset)"}, GOMP_SPINCOUNT={Functional.Cli.LibtorchThreads.NativeValue("GOMP_SPINCOUNT") ?? "(unset)"} (native environment)");
        var train = ChineseTitleCorpus.Load(DataDirectory, Split.Train);
        var validation = ChineseTitleCorpus.Load(DataDirectory, Split.Validation);
        var vocabulary = CharacterVocabulary.Build(train.SelectMany(p => new[] { p.Title, p.Content }), TitleTrainingOptions.Default.MinCount);
        var titleOptions = TitleModelOptions.Default;
        using var generator = new torch.Generator(1, torch.CPU);
        var titleModel = new TrainedTitleModel(TitleModel.Init(generator, vocabulary.Size, titleOptions, torch.CPU), vocabulary, titleOptions);

        Report("train", TrainTitles(train, vocabulary, titleOptions, sizes[0]));
        var articles = validation.Take(sizes[1]).Select(p => p.Content).ToArray();
        var beam = BeamSearchOptions.Default with { Width = 4 };
        Report("generate", Time(() => BatchedGeneration.Generate(titleModel, articles, beam, articles.Length, null).Count()));
        var scored = validation.Take(sizes[2]).ToArray();
        Report("eval", Time(() => TitleEvaluation.Score(titleModel, scored, TitleEvaluationOptions.Default)));
        Tree.Dispose(titleModel.Parameters);
        Report("mnist", TrainMnist(sizes[3]));
        return 0;
    }

    static double TrainTitles(IReadOnlyList<TitlePair> train, CharacterVocabulary vocabulary, TitleModelOptions options, int steps)
    {
        var training = TitleTrainingOptions.Default;
        var batches = Enumerable.Range(0, 4)
            .Select(b => TitleBatches.Collate(train.Skip(b * training.BatchSize).Take(training.BatchSize).Select(p => TitleBatches.Encode(p, vocabulary, options)).ToArray(), 1))
            .ToArray();
        using var generator = new torch.Generator(2, torch.CPU);
        var parameters = TitleModel.Init(generator, vocabulary.Size, options, torch.CPU);
        var pipeline = new FusedAdam(new ClipByGlobalNorm(training.ClipNorm), ScaleByAdam.Default,
            new ScaleByLearningRate(new WarmupCosine(training.LearningRate, training.WarmupSteps, 1000, training.LearningRate / 10)),
            new ParameterEma(training.Ema, BiasCorrection: true));
        var seconds = Steps(TitleModelLoss.Of(options, training.LabelSmoothing), pipeline, parameters, batches, steps);
        Tree.Dispose(parameters);
        foreach (var batch in batches) batch.Dispose();
        return seconds;
    }

    static double TrainMnist(int steps)
    {
        var defaults = MnistTrainingOptions.Default;
        using var data = MnistSplit.Load(defaults.DataDirectory, defaults.ValidationCount);
        using var generator = new torch.Generator(3, torch.CPU);
        var batches = Enumerable.Range(0, 8).Select(b =>
            new DigitBatch(data.Train.Pixels.narrow(0, b * defaults.BatchSize, defaults.BatchSize), data.Train.Digits.narrow(0, b * defaults.BatchSize, defaults.BatchSize))).ToArray();
        var parameters = DigitClassifier.Init(generator, defaults.Hidden, defaults.DropoutRate, torch.CPU);
        var seconds = Steps(DigitClassifier.Model, MnistTraining.Pipeline(defaults, 1000), parameters, batches, steps);
        Tree.Dispose(parameters);
        foreach (var batch in batches) batch.Dispose();
        return seconds;
    }

    /// <summary>One untimed step, then the seconds of <paramref name="steps"/> steps cycling through <paramref name="batches"/>.</summary>
    static double Steps<TParams, TBatch>(ModelLoss<TParams, NoState, TBatch> model, IGradientTransformation pipeline, TParams parameters, IReadOnlyList<TBatch> batches, int steps)
    {
        var state = TrainState.Init(parameters, NoState.Value, pipeline, 1);
        var index = 0;
        void Step()
        {
            var next = TrainingSteps.Step(model, pipeline, state, batches[index++ % batches.Count]);
            TrainState.Dispose(state);
            state = next.State;
        }
        Step();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++) Step();
        var seconds = clock.Elapsed.TotalSeconds;
        TrainState.Dispose(state);
        return seconds;
    }

    /// <summary>One untimed warm-up run, then the seconds of one timed run.</summary>
    static double Time<T>(Func<T> work)
    {
        work();
        var clock = Stopwatch.StartNew();
        work();
        return clock.Elapsed.TotalSeconds;
    }

    static void Report(string workload, double seconds) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result {workload} {seconds:R}"));

    static IEnumerable<(string Workload, double Seconds)> Launch(string setting, int[] sizes)
    {
        var self = typeof(ThreadDefaults).Assembly.Location;
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true };
        foreach (var a in new[] { self, "thread-defaults-worker", setting }.Concat(sizes.Select(s => s.ToString(CultureInfo.InvariantCulture))))
            start.ArgumentList.Add(a);
        foreach (var variable in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "KMP_BLOCKTIME" })
            start.Environment.Remove(variable);
        if (setting == "passive") start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        if (setting == "spin10k") start.Environment["GOMP_SPINCOUNT"] = "10000";
        if (setting == "spin100k") start.Environment["GOMP_SPINCOUNT"] = "100000";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start a worker.");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var results = output.Split('\n').Where(l => l.StartsWith("result ", StringComparison.Ordinal)).Select(l => l.Split(' '))
            .Select(p => (p[1], double.Parse(p[2], CultureInfo.InvariantCulture))).ToArray();
        if (process.ExitCode != 0 || results.Length != Workloads.Length)
            throw new InvalidOperationException($"The '{setting}' worker failed (exit {process.ExitCode}):\n{output}");
        return results;
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

    static string Nice() => File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[16];
}
