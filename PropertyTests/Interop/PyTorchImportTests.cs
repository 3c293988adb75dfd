using System.IO.Compression;
using Functional.Core;
using Functional.Interop;
using Functional.PropertyTests.Sequence;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static Functional.PropertyTests.Layers.LayerTesting;

namespace Functional.PropertyTests.Interop;

/// <summary>The parameters of tools/interop_pytorch.py's module: its state-dict names are these paths with '.'.</summary>
public sealed record TorchModules(LinearParams Linear, LstmParams Lstm, EmbeddingParams Embedding, LayerNormParams Norm, Conv2dParams Conv, BatchNormParams Bn)
{
    /// <summary>A record of the script's sizes, drawn at random (so that a leaf not loaded shows).</summary>
    public static TorchModules Init(int seed)
    {
        var generator = Rng(seed);
        return new(Functional.Core.Linear.Init(generator, 5, 3, Cpu), Functional.Core.Lstm.Init(generator, 5, 4, 2, bidirectional: true, Cpu),
            Functional.Core.Embedding.Init(generator, 10, 4, Cpu), LayerNorm.Init(6, Cpu), Conv2d.Init(generator, 3, 4, 3, Cpu) with { Padding = 1 },
            BatchNorm.Init(4, Cpu));
    }
}

/// <summary>The model state of the script's module: the batch norm's buffers, under <c>bn.</c> as in PyTorch.</summary>
public sealed record TorchModulesState(BatchNormStats Bn);

/// <summary>
/// Runs tools/interop_pytorch.py once (on first use) into a temporary folder, deleted at the end of the class.
/// </summary>
public sealed class PyTorchFiles : IDisposable
{
    readonly Lazy<string> folder = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"interop-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        var (exitCode, text) = PythonTorch.Run(PythonTorch.Script("interop_pytorch.py"), "write", path);
        Assert.True(exitCode == 0, $"tools/interop_pytorch.py write failed (exit {exitCode}):\n{text}");
        return path;
    });

    /// <summary>The folder with the script's files.</summary>
    public string Folder => folder.Value;

    /// <summary>Deletes the folder if it was made.</summary>
    public void Dispose()
    {
        if (folder.IsValueCreated) Directory.Delete(folder.Value, recursive: true);
    }
}

/// <summary>
/// PyTorch's own files (torch.save zip, safetensors written by hand in Python, Hugging Face sharded) load by name into
/// our records, and our layers then reproduce PyTorch's outputs on the script's fixed inputs to 1e-5.
/// </summary>
public sealed class PyTorchImportTests(PyTorchFiles files, ITestOutputHelper output) : IClassFixture<PyTorchFiles>
{
    static readonly string[] BatchNormBuffers = ["bn.num_batches_tracked", "bn.running_mean", "bn.running_var"];

    [PyTorchFact]
    public void A_torch_save_file_loads_and_reproduces_pytorch() => LoadsAndReproduces("modules.pt");

    [PyTorchFact]
    public void A_safetensors_file_written_by_python_loads_and_reproduces_pytorch() => LoadsAndReproduces("modules.safetensors");

    [PyTorchFact]
    public void A_sharded_checkpoint_loads_through_its_index_and_reproduces_pytorch() => LoadsAndReproduces("sharded/model.safetensors.index.json");

    [PyTorchFact]
    public void A_torch_2_layout_of_the_same_archive_loads_the_same_tensors()
    {
        // torch 2.x names the folder "archive" and adds byteorder and .data/serialization_id; the pickle is the same.
        var original = Path.Combine(files.Folder, "modules.pt");
        var repacked = Path.Combine(files.Folder, "modules-torch2.pt");
        using (var source = ZipFile.OpenRead(original))
        using (var target = ZipFile.Open(repacked, ZipArchiveMode.Create))
        {
            foreach (var entry in source.Entries)
            {
                using var from = entry.Open();
                using var to = target.CreateEntry("archive" + entry.FullName[entry.FullName.IndexOf('/')..], CompressionLevel.NoCompression).Open();
                from.CopyTo(to);
            }
            using (var writer = new StreamWriter(target.CreateEntry("archive/byteorder").Open())) writer.Write("little");
            using (var writer = new StreamWriter(target.CreateEntry("archive/.data/serialization_id").Open())) writer.Write("1234567890");
        }
        using var scope = torch.NewDisposeScope();
        var options = ImportOptions.Default with { Strict = false };
        var first = StateDict.Load(TorchModules.Init(1), original, options).Value;
        var second = StateDict.Load(TorchModules.Init(2), repacked, options).Value;
        foreach (var (a, b) in Tree.Leaves(first).Zip(Tree.Leaves(second))) Assert.True(Functional.PropertyTests.Same.Bitwise(a, b));
    }

    [PyTorchFact]
    public void F16_bf16_and_f64_tensors_load_into_a_float32_record_as_their_values()
    {
        using var scope = torch.NewDisposeScope();
        var options = ImportOptions.Default with { Strict = false };
        var exact = StateDict.Load(TorchModules.Init(1), Path.Combine(files.Folder, "modules.safetensors"), options).Value;
        var halves = Path.Combine(files.Folder, "halves.safetensors");
        using var source = StateDict.Open(halves);
        var dtypes = source.Entries.ToDictionary(e => e.Name.Replace('.', '/'), e => e.Dtype);
        Assert.Contains("F16", dtypes.Values);
        Assert.Contains("BF16", dtypes.Values);
        Assert.Contains("F64", dtypes.Values);
        var loaded = StateDict.Load(TorchModules.Init(2), source, options).Value;
        foreach (var (leaf, value) in Tree.Flatten(exact).Zip(Tree.Leaves(loaded)))
        {
            var type = dtypes[leaf.Path] switch { "F16" => torch.float16, "BF16" => torch.bfloat16, "F64" => torch.float64, _ => torch.float32 };
            Assert.Equal(torch.float32, value.dtype);
            Assert.True(Functional.PropertyTests.Same.Bitwise(leaf.Value.to(type).to(torch.float32), value), $"{leaf.Path} ({dtypes[leaf.Path]})");
        }
    }

    [PyTorchFact]
    public void A_pickle_from_python_that_asks_for_os_system_is_refused_and_runs_nothing()
    {
        var evil = Path.Combine(files.Folder, "evil.pt");
        var error = Assert.Throws<InvalidDataException>(() => StateDict.Open(evil).Dispose());
        output.WriteLine(error.Message);
        Assert.Contains("refused global 'posix.system'", error.Message);
        Assert.Contains(evil, error.Message);
        Assert.False(File.Exists(Path.Combine(files.Folder, "pwned")));
    }

    void LoadsAndReproduces(string file)
    {
        using var scope = torch.NewDisposeScope();
        var path = Path.Combine(files.Folder, file);
        var template = TorchModules.Init(99);
        var options = ImportOptions.Default with { Strict = false };
        var (model, report) = StateDict.Load(template, path, options);
        output.WriteLine(report.Describe());
        Assert.Equal(Tree.Paths(template), report.Loaded);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Mismatched);
        Assert.Equal(BatchNormBuffers, report.Unexpected.Order(StringComparer.Ordinal));
        var (state, stateReport) = StateDict.Load(new TorchModulesState(BatchNorm.InitStats(4, Cpu)), path, options);
        Assert.Equal(["bn/running_mean", "bn/running_var", "bn/num_batches_tracked"], stateReport.Loaded);
        Assert.Equal(3L, state.Bn.BatchesTracked.item<long>());

        var io = StateDict.Open(Path.Combine(files.Folder, "io.safetensors"));
        using (io)
        {
            torch.Tensor Io(string name) => io.Load(name);
            Agrees("linear", Io("linear_out"), Functional.Core.Linear.Apply(model.Linear, Io("linear_in")));
            var lstmIn = Io("lstm_in");
            var lstm = Functional.Core.Lstm.Apply(model.Lstm, lstmIn, torch.ones([lstmIn.shape[0], lstmIn.shape[1]], dtype: torch.@bool));
            Agrees("lstm output", Io("lstm_out"), lstm.Output.Values);
            Agrees("lstm h_n", Io("lstm_h"), lstm.Hidden);
            Agrees("lstm c_n", Io("lstm_c"), lstm.Cell);
            Agrees("embedding", Io("embedding_out"), Functional.Core.Embedding.Apply(model.Embedding, Io("embedding_ids")));
            Agrees("layer norm", Io("norm_out"), LayerNorm.Apply(model.Norm, Io("norm_in")));
            // Our images are channels-last: PyTorch's NCHW input is permuted in, our NHWC output permuted back.
            Agrees("conv2d", Io("conv_out"), Conv2d.Apply(model.Conv, Io("conv_in").permute(0, 2, 3, 1)).permute(0, 3, 1, 2));
            Agrees("batch norm (eval)", Io("bn_out"), BatchNorm.Apply(model.Bn, state.Bn, Io("bn_in").permute(0, 2, 3, 1), training: false).Output.permute(0, 3, 1, 2));
        }
    }

    void Agrees(string what, torch.Tensor expected, torch.Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = expected.sub(actual).abs().max().item<float>();
        output.WriteLine($"{what}: max |PyTorch - ours| = {difference:g}");
        Assert.True(difference <= 1e-5, $"{what}: max |PyTorch - ours| = {difference:g} > 1e-5");
    }
}
