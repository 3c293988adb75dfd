using Xunit;

namespace Functional.Analyzers.Tests;

/// <summary>Each diagnostic fires on the unsafe forms, at the offending expression, and stays silent on the safe forms.</summary>
public sealed class ScalarDiagnosticsTests
{
    [Theory]
    [InlineData("var y = x.mul(2.0);", "2.0")]
    [InlineData("var y = x.masked_fill(m, 0);", "0")]
    [InlineData("var y = x.clamp_min(1e-8);", "1e-8")]
    [InlineData("var y = x.sub(rate);", "rate")]
    [InlineData("Scalar local = 2.0; var y = x.mul(local);", "2.0")]
    [InlineData("var y = x.add(b, 1);", "1")]
    public void FT0001_fires_on_an_implicit_conversion_to_Scalar_that_nothing_holds(string body, string flagged)
    {
        var diagnostic = Assert.Single(AnalyzerHarness.DiagnosticsOfBody(body));
        Assert.Equal("FT0001", diagnostic.Id);
        Assert.Equal(flagged, AnalyzerHarness.Text(diagnostic));
        Assert.Contains("using var s = value.ToScalar();", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("var y = x.mul(2.0.ToScalar());", "2.0.ToScalar()")]
    [InlineData("var s = rate.ToScalar(); var y = x.mul(s);", "rate.ToScalar()")]
    [InlineData("var y = x.mul((Scalar)2.0);", "(Scalar)2.0")]
    [InlineData("var y = x.mul(Make(rate));", "Make(rate)")]
    [InlineData("var y = x.mul(rate > 1 ? held : Make(rate));", "Make(rate)")]
    [InlineData("Scalar s; s = rate.ToScalar(); var y = x.mul(s);", "rate.ToScalar()")]
    public void FT0002_fires_on_a_Scalar_made_by_a_call_or_cast_and_not_held(string body, string flagged)
    {
        var diagnostic = Assert.Single(AnalyzerHarness.DiagnosticsOfBody(body));
        Assert.Equal("FT0002", diagnostic.Id);
        Assert.Equal(flagged, AnalyzerHarness.Text(diagnostic));
        Assert.Contains("using var s = ...;", diagnostic.GetMessage());
    }

    [Fact]
    public void FT0002_fires_on_an_instance_field_which_dies_with_its_object()
    {
        var diagnostics = AnalyzerHarness.Diagnostics("""
            using TorchSharp;
            sealed class Holder { readonly Scalar rate = 0.5.ToScalar(); public Scalar Rate => rate; }
            """);
        Assert.Equal("FT0002", Assert.Single(diagnostics).Id);
    }

    [Theory]
    [InlineData("var y = a + b;", "a + b", "operator +(torch.Tensor, torch.Tensor)", "x.add(y, Scalars.One)")]
    [InlineData("var y = a + b;", "a + b", "operator +(torch.Tensor, torch.Tensor)", "'x.Plus(y)' (Functional.Core.SafeArithmetic")]
    [InlineData("var y = x * 2.0;", "x * 2.0", "operator *(torch.Tensor, double)", "'x.Times(value)' (Functional.Core.SafeArithmetic")]
    [InlineData("var y = 1 - x;", "1 - x", "operator -(int, torch.Tensor)", "'x.SubtractedFrom(value)'")]
    [InlineData("var y = x - 1;", "x - 1", "operator -(torch.Tensor, int)", "'x.Minus(value)'")]
    [InlineData("var y = x / 4;", "x / 4", "operator /(torch.Tensor, int)", "'x.DividedBy(value)'")]
    [InlineData("var y = 4 / x;", "4 / x", "operator /(int, torch.Tensor)", "'x.DividedInto(value)'")]
    [InlineData("var y = x + 1.5;", "x + 1.5", "operator +(torch.Tensor, double)", "'x.Plus(value)'")]
    [InlineData("var y = x.square();", "x.square()", "square()", "'x.Squared()'")]
    [InlineData("var y = a.add(b);", "a.add(b)", "add(torch.Tensor)", "x.add(y, Scalars.One)")]
    [InlineData("a.add_(b);", "a.add_(b)", "add_(torch.Tensor)", "x.add_(y, Scalars.One)")]
    [InlineData("var y = x + held;", "x + held", "operator +(torch.Tensor, Scalar)", "x.add(s, Scalars.One)")]
    [InlineData("var y = x * 2.0;", "x * 2.0", "operator *(torch.Tensor, double)", "x.mul(s)")]
    [InlineData("var y = 1 - x;", "1 - x", "operator -(int, torch.Tensor)", "x.neg().add(s, Scalars.One)")]
    [InlineData("var y = held - x;", "held - x", "operator -(Scalar, torch.Tensor)", "x.neg().add(s, Scalars.One)")]
    [InlineData("var y = x / 4;", "x / 4", "operator /(torch.Tensor, int)", "x.div(s)")]
    [InlineData("var y = x.square();", "x.square()", "square()", "x.pow(Scalars.Two)")]
    [InlineData("var y = torch.square(x);", "torch.square(x)", "square(torch.Tensor)", "x.pow(Scalars.Two)")]
    [InlineData("var y = a.addcdiv(b, x);", "a.addcdiv(b, x)", "addcdiv(torch.Tensor, torch.Tensor)", "addcdiv(a, b, Scalars.One)")]
    [InlineData("var y = nn.functional.softplus(x);", "nn.functional.softplus(x)", "softplus", "a Scalar you hold")]
    [InlineData("var y = nn.functional.leaky_relu(x);", "nn.functional.leaky_relu(x)", "leaky_relu", "a Scalar you hold")]
    [InlineData("var y = linalg.vector_norm(x);", "linalg.vector_norm(x)", "vector_norm", "a Scalar you hold")]
    [InlineData("a += b;", "a += b", "operator +(torch.Tensor, torch.Tensor)", "x.add(y, Scalars.One)")]
    [InlineData("Func<Tensor, Tensor> f = torch.square;", "torch.square", "square(torch.Tensor)", "x.pow(Scalars.Two)")]
    public void FT0003_fires_on_a_TorchSharp_member_that_makes_a_Scalar_inside(string body, string flagged, string member, string suggestion)
    {
        var diagnostic = Assert.Single(AnalyzerHarness.DiagnosticsOfBody(body), d => d.Id == "FT0003");
        Assert.Equal(flagged, AnalyzerHarness.Text(diagnostic));
        Assert.Contains(member, diagnostic.GetMessage());
        Assert.Contains(suggestion, diagnostic.GetMessage());
    }

    [Fact]
    public void An_operator_with_a_number_reports_both_the_member_and_nothing_else()
    {
        // x * 2.0 binds to TorchSharp's operator *(Tensor, double), which converts inside: one FT0003, no FT0001.
        var diagnostics = AnalyzerHarness.DiagnosticsOfBody("var y = x * 2.0;");
        Assert.Equal(["FT0003"], diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void torch_arange_with_a_number_reports_the_conversion_and_the_member()
    {
        var diagnostics = AnalyzerHarness.DiagnosticsOfBody("var y = torch.arange(5);");
        Assert.Equal(["FT0003", "FT0001"], diagnostics.Select(d => d.Id));
    }

    [Theory]
    [InlineData("using var s = rate.ToScalar(); var y = x.mul(s);")]
    [InlineData("using (var s = rate.ToScalar()) { var y = x.mul(s); }")]
    [InlineData("using Scalar s = 2.0; var y = x.mul(s);")]
    [InlineData("using var s = Make(rate); var y = x.mul(s).div(s);")]
    [InlineData("using var s = rate > 1 ? rate.ToScalar() : Make(1); var y = x.mul(s);")]
    [InlineData("var y = x.mul(One).add(b, One).masked_fill(m, held);")]
    [InlineData("var y = a - b; var z = a * b; var w = a / b; var v = -a;")]
    [InlineData("var y = x - held; var z = held * x; var w = x * held; var v = held / x; var u = x / held;")]
    [InlineData("var y = x.sub(held).mul(held).div(held).clamp_min(held).masked_fill(m, One);")]
    [InlineData("using var stop = 5L.ToScalar(); var y = torch.arange(One, stop, One);")]
    [InlineData("var y = x.add(held, One).addcdiv(a, b, One).pow(One).mul(x);")]
    [InlineData("var y = x.sum().item<float>() * 2.0;")]
    [InlineData("var y = a.Plus(b).Times(2.0).Minus(1.0).SubtractedFrom(1L).DividedBy(4L).DividedInto(2.0).Squared().Plus(3L).Times(b);")]
    public void The_safe_forms_raise_nothing(string body)
    {
        Assert.Empty(AnalyzerHarness.DiagnosticsOfBody(body));
    }

    [Fact]
    public void Static_fields_and_factories_are_held()
    {
        Assert.Empty(AnalyzerHarness.Diagnostics("""
            using TorchSharp;
            static class Constants
            {
                public static readonly Scalar Half = 0.5.ToScalar();
                public static readonly Scalar Two = 2.0;
                public static Scalar Third { get; } = (1.0 / 3).ToScalar();
                static Scalar? lazy;
                public static Scalar Lazy() { lazy ??= Make(4.0); return lazy; }
                public static Scalar Make(double value) => value.ToScalar();
                public static Scalar MakeWithBody(double value) { return value.ToScalar(); }
            }
            """));
    }

    [Fact]
    public void Code_without_TorchSharp_is_not_analysed()
    {
        var diagnostics = AnalyzerHarness.Diagnostics("""
            readonly struct Meters { public static implicit operator Meters(double value) => new(); }
            static class User { static Meters Twice(double x) { Meters m = x * 2; return m; } }
            """);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Diagnostics_are_warnings_by_default_so_that_users_choose_to_raise_them()
    {
        var analyzer = new ScalarLifetimeAnalyzer();
        Assert.Equal(["FT0001", "FT0002", "FT0003"], analyzer.SupportedDiagnostics.Select(d => d.Id));
        Assert.All(analyzer.SupportedDiagnostics, d => Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning, d.DefaultSeverity));
    }
}
