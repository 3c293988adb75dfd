using Functional.Analyzers;
using Functional.Core;
using Functional.Optimizers;
using Xunit;
using Functional.Models.Titles;

namespace Functional.PropertyTests.Native;

/// <summary>
/// The compiled libraries, the F# examples included (which the Roslyn analyzer cannot read), make no Scalar they do
/// not dispose and call no TorchSharp member that makes a temporary Scalar inside (IL scan: <see cref="IlScalarScan"/>).
/// </summary>
public sealed class ScalarSitesTests
{
    [Theory]
    [MemberData(nameof(LibraryAssemblies.Paths), MemberType = typeof(LibraryAssemblies))]
    public void A_library_holds_every_Scalar_it_makes(string path)
    {
        var findings = Findings(path);
        Assert.True(findings.Count == 0, $"{Path.GetFileName(path)}:\n  " + string.Join("\n  ", findings));
    }

    [Fact]
    public void The_scan_finds_the_unheld_Scalars_of_TorchSharp_itself()
    {
        // The check can fail: TorchSharp's own IL has them (Tensor.add(Tensor) passes a temporary alpha of 1).
        var findings = Findings(typeof(TorchSharp.torch).Assembly.Location);
        Assert.Contains(findings, f => f.StartsWith("TorchSharp.torch+Tensor::add: makes a Scalar", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("TorchSharp.torch+Tensor::square: makes a Scalar", StringComparison.Ordinal));
    }

    static IReadOnlyList<string> Findings(string path)
    {
        using var assembly = File.OpenRead(path);
        return IlScalarScan.Findings(assembly, UnsafeTorchSharpMembers.Keys);
    }
}
