using System.Text;
using FsCheck.Xunit;
using TorchSharp;
using Xunit;
using Functional.Training;

namespace Functional.PropertyTests.Checkpoints;

public sealed class SafeTensorsProperties
{
    static readonly torch.ScalarType[] Dtypes =
    [
        torch.ScalarType.Float64, torch.ScalarType.Float32, torch.ScalarType.Float16, torch.ScalarType.BFloat16,
        torch.ScalarType.Int64, torch.ScalarType.Int32, torch.ScalarType.Int16, torch.ScalarType.Int8, torch.ScalarType.Byte, torch.ScalarType.Bool,
    ];

    [Property(MaxTest = 200)]
    public void Serialize_then_deserialize_gives_back_every_tensor_bitwise_and_the_metadata(int seed)
    {
        var random = new Random(seed);
        using var hundred = 100.ToScalar();
        var tensors = Enumerable.Range(0, random.Next(0, 6)).Select(i =>
        {
            var shape = Enumerable.Range(0, random.Next(0, 4)).Select(_ => (long)random.Next(0, 4)).ToArray();
            var values = torch.randn(shape, dtype: torch.float64).mul(hundred);
            return new NamedTensor($"layers/{i}/w{random.Next(100)}", values.to(Dtypes[random.Next(Dtypes.Length)]));
        }).ToArray();
        var metadata = new Dictionary<string, string> { ["step"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture), ["ü"] = "ñ \"quoted\"" };

        var content = SafeTensors.Deserialize(SafeTensors.Serialize(tensors, metadata), "test");

        Assert.Equal(tensors.Select(t => t.Name).Order(StringComparer.Ordinal), content.Tensors.Select(t => t.Name));
        foreach (var tensor in tensors)
            Assert.True(Same.Bitwise(tensor.Value, content.Tensors.Single(t => t.Name == tensor.Name).Value), tensor.Name);
        Assert.Equal(metadata, content.Metadata);
    }

    [Fact]
    public void The_bytes_follow_the_published_layout()
    {
        var bytes = SafeTensors.Serialize([new NamedTensor("a", torch.tensor(new[] { 1f, 2f }))], new Dictionary<string, string>());

        // The writer adds the file's own SHA-256 (of the canonical header without it, then the data) to the metadata.
        var checksum = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}").Concat(BitConverter.GetBytes(1f)).Concat(BitConverter.GetBytes(2f)).ToArray()));
        var header = "{\"__metadata__\":{\"sha256\":\"" + checksum + "\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var padded = (header.Length + 7) / 8 * 8;
        Assert.Equal((ulong)padded, BitConverter.ToUInt64(bytes, 0));
        Assert.Equal(header.PadRight(padded), Encoding.UTF8.GetString(bytes, 8, padded));
        Assert.Equal(BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(2f)), bytes[(8 + padded)..]);
    }

    [Fact]
    public void Damaged_files_are_refused_with_what_is_wrong()
    {
        var bytes = SafeTensors.Serialize([new NamedTensor("a", torch.ones(4))], new Dictionary<string, string>());

        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes[..4], "f")).Message);
        Assert.Contains("header claims", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes[..20], "f")).Message);
        Assert.Contains("outside the", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes[..^4], "f")).Message);
    }
}
