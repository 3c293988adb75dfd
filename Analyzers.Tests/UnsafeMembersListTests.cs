using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Functional.Analyzers.Tests;

/// <summary>
/// The analyzer's list of internally-converting TorchSharp members is the IL scan of the TorchSharp the solution
/// references, and every key in it names a member the analyzer can recognise.
/// </summary>
public sealed class UnsafeMembersListTests
{
    [Fact]
    public void The_list_equals_a_fresh_scan_of_the_referenced_TorchSharp()
    {
        var scanned = Scan(typeof(TorchSharp.torch).Assembly.Location);
        var missing = scanned.Except(UnsafeTorchSharpMembers.Keys).Order().ToList();
        var stale = UnsafeTorchSharpMembers.Keys.Except(scanned).Order().ToList();
        Assert.True(missing.Count == 0 && stale.Count == 0,
            $"UnsafeTorchSharpMembers.Keys is out of date for {typeof(TorchSharp.torch).Assembly.GetName().Version}.\n"
            + $"Unsafe but not listed ({missing.Count}):\n  {string.Join("\n  ", missing)}\nListed but safe now ({stale.Count}):\n  {string.Join("\n  ", stale)}");
    }

    [Fact]
    public void The_scan_finds_the_members_whose_source_shows_the_race()
    {
        // Tensor.Math.cs: add(Tensor) => add(target, 1); square() => pow(2); Tensor.Operators.cs: x * 2.0 => mul(right).
        var scanned = Scan(typeof(TorchSharp.torch).Assembly.Location);
        Assert.Contains("TorchSharp.torch+Tensor::add(Tensor)", scanned);
        Assert.Contains("TorchSharp.torch+Tensor::square()", scanned);
        Assert.Contains("TorchSharp.torch+Tensor::op_Multiply(Tensor, Double)", scanned);
        Assert.Contains("TorchSharp.torch+Tensor::op_Addition(Tensor, Tensor)", scanned);
        // ... and not the ones that pass a caller's Scalar straight to libtorch.
        Assert.DoesNotContain("TorchSharp.torch+Tensor::mul(Scalar)", scanned);
        Assert.DoesNotContain("TorchSharp.torch+Tensor::add(Tensor, Scalar)", scanned);
        Assert.DoesNotContain("TorchSharp.torch+Tensor::op_Subtraction(Tensor, Tensor)", scanned);
    }

    [Fact]
    public void Every_listed_key_names_a_member_as_the_analyzer_keys_it()
    {
        var compilation = CSharpCompilation.Create("Keys", references: [
            MetadataReference.CreateFromFile(typeof(object).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location)]);
        var torchSharp = compilation.References.Select(compilation.GetAssemblyOrModuleSymbol).OfType<IAssemblySymbol>()
            .Single(a => a.Name == "TorchSharp");
        var keys = new HashSet<string>();
        foreach (var type in Types(torchSharp.GlobalNamespace))
            foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
                keys.Add(UnsafeTorchSharpMembers.KeyOf(method));
        var unmatched = UnsafeTorchSharpMembers.Keys.Where(k => !keys.Contains(k)).Order().ToList();
        Assert.True(unmatched.Count == 0, "Keys the analyzer cannot match to a member:\n  " + string.Join("\n  ", unmatched));
    }

    static ISet<string> Scan(string path)
    {
        using var assembly = File.OpenRead(path);
        return IlScalarScan.UnsafePublicMembers(assembly);
    }

    static IEnumerable<INamedTypeSymbol> Types(INamespaceOrTypeSymbol container)
    {
        foreach (var member in container.GetMembers())
        {
            if (member is INamespaceSymbol ns)
                foreach (var type in Types(ns)) yield return type;
            else if (member is INamedTypeSymbol type)
            {
                yield return type;
                foreach (var nested in Types(type)) yield return nested;
            }
        }
    }
}
