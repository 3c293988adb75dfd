using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using Functional.Core;
using Xunit;
using static Functional.PropertyTests.Titles.TitleTesting;
using Functional.Models.Text;
using Functional.Models.Titles;
using Functional.Training;

namespace Functional.PropertyTests.RunFolder;

/// <summary>
/// Faults in an exported title model (model.safetensors): each is refused naming the file and what is wrong, never a
/// stack trace, a silently different title or an empty one. What survives: the other files of the folder, untouched
/// (a load never writes).
/// </summary>
public sealed class ModelFileFaultTests
{
    static string SavedModel(Func<TitleModelParams, TitleModelParams>? change = null)
    {
        var vocabulary = CharacterVocabulary.Build(["今天天气很好我们去公园散步吧"], 1);
        var parameters = Model(4, vocabulary.Size);
        var directory = Training.TrainingFixtures.TemporaryFolder();
        new TrainedTitleModel(change is null ? parameters : change(parameters), vocabulary, Tiny).Save(directory);
        return Path.Combine(directory, "model.safetensors");
    }

    static InvalidDataException Refused(string path) =>
        Assert.Throws<InvalidDataException>(() => TrainedTitleModel.Load(Path.GetDirectoryName(path)!, torch.CPU));

    [Fact]
    public void A_flipped_bit_anywhere_in_the_tensors_is_refused_naming_the_file()
    {
        var path = SavedModel();
        var bytes = File.ReadAllBytes(path);
        var random = new Random(3);
        var dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        for (var trial = 0; trial < 5; trial++)
        {
            var flipped = bytes.ToArray();
            flipped[random.Next(dataStart, flipped.Length)] ^= (byte)(1 << random.Next(8));
            File.WriteAllBytes(path, flipped);
            var error = Refused(path);
            Assert.StartsWith($"not a valid model file: {path}: sha256:", error.Message);
            Assert.Contains("damaged", error.Message);
        }
        File.WriteAllBytes(path, bytes);
        Assert.NotNull(TrainedTitleModel.Load(Path.GetDirectoryName(path)!, torch.CPU)); // the intact file still loads
    }

    [Fact]
    public void A_NaN_in_a_tensor_is_refused_on_load_naming_the_tensor()
    {
        var path = SavedModel(p =>
        {
            var weight = p.Embedding.Weight.clone();
            weight[0, 0] = torch.tensor(float.NaN);
            return p with { Embedding = new EmbeddingParams(weight) };
        });
        var error = Refused(path);
        Assert.StartsWith($"not a valid model file: {path}: 'embedding", error.Message);
        Assert.Contains("NaN", error.Message);
    }

    [Fact]
    public void A_model_without_its_checksum_is_refused()
    {
        var path = SavedModel();
        var bytes = File.ReadAllBytes(path);
        // Rename the checksum's key inside the header (same length): the file no longer carries a checksum.
        var header = Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes)).Replace("\"sha256\"", "\"sha257\"");
        Encoding.UTF8.GetBytes(header).CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        Assert.StartsWith($"not a valid model file: {path}: sha256: the metadata has no checksum", Refused(path).Message);
    }

    /// <summary>A file whose header JSON is <paramref name="header"/> (as written), then <paramref name="data"/> bytes of zeros.</summary>
    static byte[] Raw(string header, int data, long? claimedLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(claimedLength ?? json.Length));
        json.CopyTo(bytes, 8);
        return bytes;
    }

    public static TheoryData<string, string, int, string> MalformedHeaders => new()
    {
        { "dtype misspelt", """{"a":{"dtype":"F3","shape":[2],"data_offsets":[0,8]}}""", 8, "'a' dtype: unknown dtype F3" },
        { "dtype not a string", """{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}""", 8, "'a' dtype: missing or not a string" },
        { "dtype missing", """{"a":{"shape":[2],"data_offsets":[0,8]}}""", 8, "'a' dtype: missing" },
        { "shape a string", """{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}""", 4, "'a' shape: not an array of sizes (\"1\")" },
        { "shape negative", """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "'a' shape: not an array of sizes" },
        { "shape of strings", """{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}""", 8, "'a' shape: not an array of sizes" },
        { "shape too large", """{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}""", 8, "'a' shape: [4611686018427387904, 4] is too large" },
        { "data_offsets beyond the data", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}}""", 8, "'a' data_offsets: [0, 800] outside the 8 data bytes" },
        { "data_offsets reversed", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "'a' data_offsets: [8, 0] outside" },
        { "data_offsets not a pair", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", 8, "'a' data_offsets: not a pair of integers" },
        { "data_offsets not matching the shape", """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "'a' data_offsets: shape [3] and dtype F32 need 12 bytes, the range has 8" },
        { "entry not an object", """{"a":[1,2]}""", 0, "'a': not a tensor entry" },
        { "header not an object", """[1,2,3]""", 0, "header: not a JSON object" },
        { "header not JSON", """{"a":{"dtype":"F32",""", 0, "header: not JSON" },
        { "metadata not an object", """{"__metadata__":"x"}""", 0, "__metadata__: not a JSON object of strings" },
        { "metadata value not a string", """{"__metadata__":{"k":3}}""", 0, "__metadata__ 'k': not a string (3)" },
        { "checksum wrong", """{"__metadata__":{"sha256":"00"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "sha256: the content's SHA-256 is" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void Every_malformed_header_field_is_not_a_valid_model_file_naming_the_field(string fault, string header, int data, string expected)
    {
        var directory = Training.TrainingFixtures.TemporaryFolder();
        var path = Path.Combine(directory, "model.safetensors");
        File.WriteAllBytes(path, Raw(header, data));
        File.WriteAllText(Path.Combine(directory, "vocabulary.txt"), "a\n");

        var direct = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(File.ReadAllBytes(path), path));
        var loaded = Refused(path);

        foreach (var error in new[] { direct, loaded })
        {
            Assert.StartsWith($"not a valid model file: {path}: ", error.Message);
            Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{fault}: {error.Message}");
        }
    }

    [Fact]
    public void A_header_length_beyond_the_file_or_a_file_too_short_is_not_a_valid_model_file()
    {
        var path = SavedModel();
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length * 4);
        File.WriteAllBytes(path, bytes);
        Assert.StartsWith($"not a valid model file: {path}: header length: the header claims {bytes.Length * 4} bytes", Refused(path).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(path, bytes);
        Assert.StartsWith($"not a valid model file: {path}: header length:", Refused(path).Message);
        File.WriteAllBytes(path, bytes[..5]);
        Assert.StartsWith($"not a valid model file: {path}: 5 bytes, too short", Refused(path).Message);
    }

    [Theory]
    [InlineData("{\"EmbeddingSize\":", "metadata 'title-model-options': not valid JSON")]
    [InlineData("null", "metadata 'title-model-options': null")]
    [InlineData("{\"EmbeddingSize\":0,\"EncoderHidden\":8,\"EncoderLayers\":1,\"DecoderHidden\":8,\"DecoderLayers\":1,\"OutputHidden\":8,\"Dropout\":0,\"MaxArticleLength\":8,\"MaxTitleLength\":8}",
        "metadata 'title-model-options': EmbeddingSize must be at least 1")]
    public void Bad_model_metadata_is_not_a_valid_model_file_not_a_command_line_error(string options, string expected)
    {
        var directory = Training.TrainingFixtures.TemporaryFolder();
        var path = Path.Combine(directory, "model.safetensors");
        File.WriteAllBytes(path, SafeTensors.Serialize([new NamedTensor("a", torch.ones(2))], new Dictionary<string, string> { ["title-model-options"] = options }));
        File.WriteAllText(Path.Combine(directory, "vocabulary.txt"), "a\n");
        Assert.StartsWith($"not a valid model file: {path}: {expected}", Refused(path).Message);
    }

    [Fact]
    public void A_vocabulary_that_does_not_fit_the_model_is_refused_naming_both_files()
    {
        var path = SavedModel();
        var vocabulary = Path.Combine(Path.GetDirectoryName(path)!, "vocabulary.txt");
        File.WriteAllText(vocabulary, "");
        var error = Refused(path);
        // The model records its vocabulary's checksum, so the binding finds another vocabulary before the shapes do.
        Assert.StartsWith($"not a valid model file: {path}: metadata 'vocabulary-sha256': the model was trained with a vocabulary of SHA-256", error.Message);
        Assert.Contains($"but {vocabulary} (4 ids) has SHA-256", error.Message);

        // A model saved before models recorded the checksum: the shapes still refuse it, naming both files.
        var content = SafeTensors.Deserialize(File.ReadAllBytes(path), path);
        File.WriteAllBytes(path, SafeTensors.Serialize(content.Tensors, content.Metadata.Where(p => p.Key != "vocabulary-sha256").ToDictionary()));
        var legacy = Refused(path);
        Assert.StartsWith($"not a valid model file: {path}: tensors: do not fit the vocabulary {vocabulary} (4 ids)", legacy.Message);
    }
}
