using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Functional.Analyzers
{
    /// <summary>
    /// Reports every place where C# code lets a <c>TorchSharp.Scalar</c> die before the native call that reads it.
    /// </summary>
    /// <remarks>
    /// <para>The race: TorchSharp 0.107 frees a Scalar's native value only in its finalizer (or <c>Dispose</c>), and
    /// its methods read <c>scalar.Handle</c> and then call libtorch without keeping the Scalar alive. Once the handle
    /// is read, a temporary Scalar is unreachable, so a garbage collection started by any other thread can finalize it
    /// while libtorch still reads it ("Expected false to be true ... toFloat", a wrong value, or a read of freed
    /// memory). Upstream fixes (dotnet/TorchSharp pull requests 1434 and 1496) are not released.</para>
    /// <para>A Scalar is safe when something outlives the call: a <c>using</c> local (disposed after the call), a
    /// static field (rooted for the process: <c>Functional.Core.Scalars</c>), or a tensor constant instead.</para>
    /// <para>Three diagnostics: <see cref="ScalarDiagnostics.ImplicitConversion"/> (a number converted to a Scalar
    /// where it is used), <see cref="ScalarDiagnostics.UnheldScalar"/> (a Scalar made by a call or cast and used
    /// without being held), <see cref="ScalarDiagnostics.InternallyConvertingMethod"/> (a TorchSharp member that
    /// makes such a temporary Scalar itself, listed in <see cref="UnsafeTorchSharpMembers"/>).</para>
    /// </remarks>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ScalarLifetimeAnalyzer : DiagnosticAnalyzer
    {
        /// <inheritdoc />
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            ScalarDiagnostics.ImplicitConversion, ScalarDiagnostics.UnheldScalar, ScalarDiagnostics.InternallyConvertingMethod);

        /// <inheritdoc />
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
                if (scalar is null) return;   // the compilation does not use TorchSharp
                start.RegisterOperationAction(c => AnalyzeConversion(c, scalar), OperationKind.Conversion);
                start.RegisterOperationAction(c => AnalyzeInvocation(c, scalar), OperationKind.Invocation);
                start.RegisterOperationAction(AnalyzeOperator, OperationKind.Binary, OperationKind.Unary,
                    OperationKind.CompoundAssignment, OperationKind.PropertyReference, OperationKind.ObjectCreation,
                    OperationKind.MethodReference);
            });
        }

        static void AnalyzeConversion(OperationAnalysisContext context, INamedTypeSymbol scalar)
        {
            var conversion = (IConversionOperation)context.Operation;
            if (conversion.OperatorMethod is null || !SymbolEqualityComparer.Default.Equals(conversion.Type, scalar)) return;
            if (ScalarHolding.IsHeld(conversion)) return;
            var source = conversion.Operand.Type?.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) ?? "a value";
            context.ReportDiagnostic(conversion.IsImplicit
                ? Diagnostic.Create(ScalarDiagnostics.ImplicitConversion, conversion.Syntax.GetLocation(), source)
                : Diagnostic.Create(ScalarDiagnostics.UnheldScalar, conversion.Syntax.GetLocation(), conversion.Syntax.ToString()));
        }

        static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol scalar)
        {
            var invocation = (IInvocationOperation)context.Operation;
            ReportIfUnsafeMember(context, invocation.TargetMethod, invocation.Syntax);
            if (SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ReturnType, scalar) && !ScalarHolding.IsHeld(invocation))
                context.ReportDiagnostic(Diagnostic.Create(ScalarDiagnostics.UnheldScalar, invocation.Syntax.GetLocation(), invocation.Syntax.ToString()));
        }

        static void AnalyzeOperator(OperationAnalysisContext context)
        {
            var member = context.Operation switch
            {
                IBinaryOperation binary => binary.OperatorMethod,
                IUnaryOperation unary => unary.OperatorMethod,
                ICompoundAssignmentOperation compound => compound.OperatorMethod,
                IPropertyReferenceOperation property => property.Property.GetMethod,
                IObjectCreationOperation creation => creation.Constructor,
                IMethodReferenceOperation reference => reference.Method,
                _ => null,
            };
            if (member is not null) ReportIfUnsafeMember(context, member, context.Operation.Syntax);
        }

        static void ReportIfUnsafeMember(OperationAnalysisContext context, IMethodSymbol method, SyntaxNode syntax)
        {
            if (method.ContainingAssembly?.Name != "TorchSharp") return;
            var key = UnsafeTorchSharpMembers.KeyOf(method);
            if (!UnsafeTorchSharpMembers.Keys.Contains(key)) return;
            context.ReportDiagnostic(Diagnostic.Create(ScalarDiagnostics.InternallyConvertingMethod, syntax.GetLocation(),
                UnsafeTorchSharpMembers.DisplayName(method), UnsafeTorchSharpMembers.Suggestion(method)));
        }
    }
}
