using Microsoft.CodeAnalysis;

namespace Functional.Analyzers
{
    /// <summary>The diagnostics of <see cref="ScalarLifetimeAnalyzer"/>: warnings by default, errors in this solution.</summary>
    public static class ScalarDiagnostics
    {
        const string Category = "Reliability";
        const string Why = "TorchSharp frees a Scalar only in its finalizer and does not keep it alive across the native call, "
            + "so a garbage collection started by another thread can free it while libtorch reads it (a crash, an error or a wrong value).";

        /// <summary>FT0001: a number converted implicitly to a Scalar where it is used.</summary>
        public static readonly DiagnosticDescriptor ImplicitConversion = new(
            "FT0001",
            "Implicit conversion to TorchSharp.Scalar",
            "Implicit conversion of {0} to TorchSharp.Scalar makes a Scalar that nothing holds during the native call; "
            + "hold it instead: 'using var s = value.ToScalar();' and pass 's', or use a constant of Functional.Core.Scalars",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description: Why);

        /// <summary>FT0002: a Scalar made by a call or a cast and passed on without being held.</summary>
        public static readonly DiagnosticDescriptor UnheldScalar = new(
            "FT0002",
            "TorchSharp.Scalar not held across the native call",
            "'{0}' makes a Scalar that nothing holds during the native call that reads it; "
            + "declare it with 'using var s = ...;' (or in a static readonly field) and pass 's'",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description: Why);

        /// <summary>FT0003: a TorchSharp member that makes a temporary Scalar inside itself.</summary>
        public static readonly DiagnosticDescriptor InternallyConvertingMethod = new(
            "FT0003",
            "TorchSharp member makes a temporary Scalar internally",
            "'{0}' makes a Scalar inside TorchSharp that nothing holds during its native call; write {1}",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description: Why);
    }
}
