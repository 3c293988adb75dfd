using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Functional.Analyzers.Tests;

/// <summary>Compiles a C# sample against the framework and TorchSharp and runs <see cref="ScalarLifetimeAnalyzer"/> on it.</summary>
public static class AnalyzerHarness
{
    /// <summary>
    /// The body of a method that has tensors <c>a</c>, <c>b</c>, <c>x</c>, a Bool tensor <c>m</c>, a held Scalar
    /// <c>held</c> (a parameter) and a double <c>rate</c>, inside a class with a static Scalar <c>One</c>.
    /// </summary>
    public const string Template = """
        using System;
        using TorchSharp;
        using static TorchSharp.torch;
        using Functional.Core;

        static class Sample
        {
            static readonly Scalar One = 1L.ToScalar();
            static Scalar Make(double value) => value.ToScalar();

            static object Run(Tensor a, Tensor b, Tensor x, Tensor m, Scalar held, double rate)
            {
                BODY
                return a;
            }
        }
        """;

    /// <summary>The analyzer's diagnostics on <paramref name="body"/> put into <see cref="Template"/>; the sample must compile.</summary>
    public static ImmutableArray<Diagnostic> DiagnosticsOfBody(string body) => Diagnostics(Template.Replace("BODY", body));

    /// <summary>The analyzer's diagnostics on a whole compilation unit, which must compile without errors.</summary>
    public static ImmutableArray<Diagnostic> Diagnostics(string source)
    {
        var compilation = CSharpCompilation.Create("Sample", [CSharpSyntaxTree.ParseText(source)], References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("The sample does not compile:\n" + string.Join("\n", errors) + "\n" + source);
        return compilation.WithAnalyzers([new ScalarLifetimeAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    /// <summary>The source text a diagnostic points at.</summary>
    public static string Text(Diagnostic diagnostic) => diagnostic.Location.SourceTree!.ToString().Substring(
        diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);

    internal static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Append(typeof(Functional.Core.SafeArithmetic).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());
}
