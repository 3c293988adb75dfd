using System.Collections.Immutable;
using Functional.Analyzers.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Functional.Analyzers.Tests;

/// <summary>
/// The FT0003 code fix rewrites TorchSharp's operators into Functional.Core.SafeArithmetic: the fixed code is the
/// expected text, compiles, and raises no diagnostic; operators with a held Scalar operand get no fix.
/// </summary>
public sealed class CodeFixTests
{
    [Theory]
    [InlineData("var y = a + b;", "var y = a.Plus(b);")]
    [InlineData("var y = x * 2.0;", "var y = x.Times(2.0);")]
    [InlineData("var y = 2.0 * x;", "var y = x.Times(2.0);")]
    [InlineData("var y = x - 1;", "var y = x.Minus(1);")]
    [InlineData("var y = 1 - x;", "var y = x.SubtractedFrom(1);")]
    [InlineData("var y = x / 4;", "var y = x.DividedBy(4);")]
    [InlineData("var y = 4.0 / x;", "var y = x.DividedInto(4.0);")]
    [InlineData("var y = x + rate;", "var y = x.Plus(rate);")]
    [InlineData("var y = x.square();", "var y = x.Squared();")]
    [InlineData("var y = (a + b) * 0.5;", "var y = (a.Plus(b)).Times(0.5);")]
    [InlineData("var y = a.mul(b) + x;", "var y = a.mul(b).Plus(x);")]
    public void FT0003_is_fixed_into_the_safe_method(string body, string expected)
    {
        var fixedSource = FixAll(AnalyzerHarness.Template.Replace("BODY", body));
        Assert.Contains(expected, fixedSource);
        Assert.Contains("using Functional.Core;", fixedSource);
        Assert.Empty(AnalyzerHarness.Diagnostics(fixedSource));
    }

    [Fact]
    public void The_fix_adds_the_using_directive_where_the_file_lacks_it()
    {
        var source = AnalyzerHarness.Template.Replace("using Functional.Core;\n", "").Replace("BODY", "var y = x * 2.0;");
        Assert.DoesNotContain("using Functional.Core;", source);
        var fixedSource = FixAll(source);
        Assert.Contains("var y = x.Times(2.0);", fixedSource);
        Assert.Contains("using Functional.Core;", fixedSource);
        Assert.Empty(AnalyzerHarness.Diagnostics(fixedSource));
    }

    [Theory]
    [InlineData("var y = x + held;")]
    [InlineData("var y = held - x;")]
    [InlineData("a += b;")]
    public void Operators_with_a_held_Scalar_and_compound_assignments_get_no_fix(string body)
    {
        var source = AnalyzerHarness.Template.Replace("BODY", body);
        Assert.Equal(source, FixAll(source));
    }

    /// <summary>Applies the fix to every FT0003 until none is left that it fixes (at most 10 rounds).</summary>
    static string FixAll(string source)
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject("Sample", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable))
            .WithMetadataReferences(AnalyzerHarness.References.Value);
        var document = project.AddDocument("Sample.cs", SourceText.From(source));
        var fix = new ScalarSafeArithmeticFix();
        for (var round = 0; round < 10; round++)
        {
            var compilation = document.Project.GetCompilationAsync().GetAwaiter().GetResult()!;
            var diagnostics = compilation.WithAnalyzers([new ScalarLifetimeAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
                .Where(d => d.Id == "FT0003").OrderBy(d => d.Location.SourceSpan.Start).ToList();
            CodeAction? action = null;
            foreach (var diagnostic in diagnostics)
            {
                var context = new CodeFixContext(document, diagnostic, (a, _) => action ??= a, CancellationToken.None);
                fix.RegisterCodeFixesAsync(context).GetAwaiter().GetResult();
                if (action is not null) break;
            }
            if (action is null) break;
            var operations = action.GetOperationsAsync(CancellationToken.None).GetAwaiter().GetResult();
            var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
            document = changed.GetDocument(document.Id)!;
        }
        return document.GetTextAsync().GetAwaiter().GetResult().ToString();
    }
}
