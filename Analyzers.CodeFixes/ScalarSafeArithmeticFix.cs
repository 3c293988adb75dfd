using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Functional.Analyzers.CodeFixes
{
    /// <summary>
    /// The fix of FT0003 for TorchSharp's arithmetic operators and <c>square()</c>: rewrites <c>a + b</c> into
    /// <c>a.Plus(b)</c>, <c>x * 2.0</c> into <c>x.Times(2.0)</c>, <c>1 - x</c> into <c>x.SubtractedFrom(1)</c>,
    /// <c>x / 4</c> into <c>x.DividedBy(4)</c>, <c>4 / x</c> into <c>x.DividedInto(4)</c> and <c>x.square()</c> into
    /// <c>x.Squared()</c> (Functional.Core.SafeArithmetic, which holds its Scalars), adding <c>using Functional.Core;</c>
    /// where the file lacks it. Operators with a held <c>Scalar</c> operand, compound assignments and other members are
    /// left to the message's advice.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ScalarSafeArithmeticFix)), Shared]
    public sealed class ScalarSafeArithmeticFix : CodeFixProvider
    {
        /// <inheritdoc />
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(ScalarDiagnostics.InternallyConvertingMethod.Id);

        /// <inheritdoc />
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc />
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null) return;
            foreach (var diagnostic in context.Diagnostics)
            {
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                var replacement = Rewrite(node, model, context.CancellationToken);
                if (replacement is null) continue;
                context.RegisterCodeFix(CodeAction.Create(
                    "Use " + replacement.Value.Method + " (Functional.Core.SafeArithmetic, holds its Scalars)",
                    token => Apply(context.Document, node, replacement.Value.Expression, token),
                    equivalenceKey: nameof(ScalarSafeArithmeticFix)), diagnostic);
            }
        }

        /// <summary>The safe form of an operator or <c>square()</c> call, or null where there is none.</summary>
        internal static (ExpressionSyntax Expression, string Method)? Rewrite(SyntaxNode node, SemanticModel model, CancellationToken cancellation)
        {
            if (node is BinaryExpressionSyntax binary)
            {
                var leftTensor = IsTensor(model.GetTypeInfo(binary.Left, cancellation).Type);
                var rightTensor = IsTensor(model.GetTypeInfo(binary.Right, cancellation).Type);
                if (IsScalar(model.GetTypeInfo(binary.Left, cancellation).Type) || IsScalar(model.GetTypeInfo(binary.Right, cancellation).Type)) return null;
                string? method;
                ExpressionSyntax receiver, argument;
                if (leftTensor)
                {
                    receiver = binary.Left;
                    argument = binary.Right;
                    method = binary.Kind() switch
                    {
                        SyntaxKind.AddExpression => "Plus",
                        SyntaxKind.SubtractExpression => "Minus",
                        SyntaxKind.MultiplyExpression => "Times",
                        SyntaxKind.DivideExpression => "DividedBy",
                        _ => null,
                    };
                }
                else if (rightTensor)
                {
                    receiver = binary.Right;
                    argument = binary.Left;
                    method = binary.Kind() switch
                    {
                        SyntaxKind.AddExpression => "Plus",
                        SyntaxKind.SubtractExpression => "SubtractedFrom",
                        SyntaxKind.MultiplyExpression => "Times",
                        SyntaxKind.DivideExpression => "DividedInto",
                        _ => null,
                    };
                }
                else return null;
                if (method is null) return null;
                return (Call(receiver, method, argument).WithTriviaFrom(binary), method);
            }
            if (node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "square" } access, ArgumentList.Arguments.Count: 0 } invocation
                && IsTensor(model.GetTypeInfo(access.Expression, cancellation).Type))
                return (Call(access.Expression, "Squared", null).WithTriviaFrom(invocation), "Squared");
            return null;
        }

        static ExpressionSyntax Call(ExpressionSyntax receiver, string method, ExpressionSyntax? argument)
        {
            var target = receiver.WithoutTrivia();
            if (target is not (IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ParenthesizedExpressionSyntax or ElementAccessExpressionSyntax))
                target = SyntaxFactory.ParenthesizedExpression(target);
            var arguments = argument is null
                ? SyntaxFactory.ArgumentList()
                : SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(argument.WithoutTrivia())));
            return SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, target, SyntaxFactory.IdentifierName(method)), arguments);
        }

        static async Task<Document> Apply(Document document, SyntaxNode node, ExpressionSyntax replacement, CancellationToken cancellation)
        {
            var root = await document.GetSyntaxRootAsync(cancellation).ConfigureAwait(false);
            if (root is null) return document;
            var updated = root.ReplaceNode(node, replacement);
            if (updated is CompilationUnitSyntax unit && !unit.Usings.Any(u => u.Name?.ToString() == "Functional.Core")
                && !unit.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.ToString() == "Functional.Core" || n.Usings.Any(u => u.Name?.ToString() == "Functional.Core")))
                updated = unit.AddUsings(SyntaxFactory.UsingDirective(SyntaxFactory.ParseName("Functional.Core"))
                    .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed));
            return document.WithSyntaxRoot(updated);
        }

        static bool IsTensor(ITypeSymbol? type) => type is { Name: "Tensor", ContainingType.Name: "torch" } && type.ContainingNamespace?.ToDisplayString() == "TorchSharp";

        static bool IsScalar(ITypeSymbol? type) => type is { Name: "Scalar" } && type.ContainingNamespace?.ToDisplayString() == "TorchSharp";
    }
}
