using Functional.Core;
using System.Buffers.Binary;
using Functional.Optimizers;
using Functional.Reporting;
using Functional.Training;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Reporting;

/// <summary>The event files read back as TensorBoard reads them: TFRecord framing checked with an independent CRC-32C, Events parsed by TorchSharp's protobuf classes.</summary>
public sealed class TensorBoardTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("tensorboard").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>CRC-32C bit by bit (no table), written from the definition: reflected polynomial 0x82F63B78.</summary>
    static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
        }
        return ~crc;
    }

    static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8u);

    /// <summary>The records of a TFRecord file, each one's length and both checksums verified.</summary>
    static List<byte[]> Records(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        var at = 0;
        while (at < bytes.Length)
        {
            Assert.True(at + 12 <= bytes.Length, $"A record header at byte {at} is cut off.");
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at, 8));
            Assert.Equal(Mask(BitwiseCrc32C(bytes.AsSpan(at, 8))), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8, 4)));
            Assert.True(at + 12 + length + 4 <= bytes.Length, $"The record at byte {at} is cut off.");
            var data = bytes.AsSpan(at + 12, length).ToArray();
            Assert.Equal(Mask(BitwiseCrc32C(data)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length, 4)));
            records.Add(data);
            at += 12 + length + 4;
        }
        return records;
    }

    [Fact]
    public void The_independent_crc_agrees_with_the_known_check_value()
    {
        Assert.Equal(0xE3069283u, BitwiseCrc32C("123456789"u8)); // the CRC-32C catalogue's check value
    }

    [Fact]
    public void Steps_and_validations_are_written_as_framed_scalar_events()
    {
        using var random = torch.zeros(1);
        var state = new TrainState<object, NoState>(new object(), CountState.At(0), 0, random, DataPosition.Start, Functional.Core.NoState.Value);
        var observer = new TensorBoardObserver(Path.Combine(folder, "run"));
        observer.FitStarted(new FitStart<object, NoState>(state, 1, 3));
        for (var step = 1; step <= 3; step++)
            observer.StepFinished(new StepEnd<object, NoState>(state with { Step = step }, 0, 3, new Dictionary<string, double> { ["loss"] = 1.0 / step, ["accuracy"] = 0.25 * step },
                TimeSpan.FromSeconds(step)) { LearningRate = 0.01 * step });
        observer.EpochFinished(new EpochEnd<object, NoState>(state with { Step = 3 },
            new EpochReport(0, 3, new Dictionary<string, double>(), new Dictionary<string, double> { ["loss"] = 0.75, ["rougeL"] = 0.125 }, 1), FitEnd.Completed));
        observer.Dispose();

        var files = Directory.GetFiles(Path.Combine(folder, "run"));
        var file = Assert.Single(files);
        Assert.StartsWith("events.out.tfevents.", Path.GetFileName(file));
        var events = Records(file).Select(record => Tensorboard.Event.Parser.ParseFrom(record)).ToArray();
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.InRange(events[0].WallTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        var scalars = events.Skip(1).Select(e => (Tag: Assert.Single(e.Summary.Value).Tag, e.Step, Value: Assert.Single(e.Summary.Value).SimpleValue)).ToArray();
        Assert.Equal(
            [("train/loss", 1L, 1f), ("train/accuracy", 1L, 0.25f), ("train/lr", 1L, 0.01f),
             ("train/loss", 2L, 0.5f), ("train/accuracy", 2L, 0.5f), ("train/lr", 2L, 0.02f),
             ("train/loss", 3L, 1f / 3), ("train/accuracy", 3L, 0.75f), ("train/lr", 3L, 0.03f),
             ("validation/loss", 3L, 0.75f), ("validation/rougeL", 3L, 0.125f)],
            scalars);
        Assert.All(events.Skip(1), e => Assert.True(e.WallTime >= events[0].WallTime));
    }

    [Fact]
    public void A_large_step_and_a_long_tag_survive_the_encoding()
    {
        string path;
        using (var file = new TensorBoardEventFile(folder, DateTimeOffset.UtcNow))
        {
            file.Scalar(new string('t', 300), -2.5, 5_000_000_000L, DateTimeOffset.UtcNow);
            path = file.Path;
        }

        var written = Tensorboard.Event.Parser.ParseFrom(Records(path)[1]);

        Assert.Equal(5_000_000_000L, written.Step);
        Assert.Equal(new string('t', 300), written.Summary.Value[0].Tag);
        Assert.Equal(-2.5f, written.Summary.Value[0].SimpleValue);
    }
}
