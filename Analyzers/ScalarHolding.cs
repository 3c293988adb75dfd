using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Functional.Analyzers
{
    /// <summary>
    /// Whether a newly made Scalar is held by something that outlives the native calls that read it.
    /// </summary>
    /// <remarks>
    /// Held: the initializer of a <c>using</c> local (directly, or as a branch of <c>?:</c> or <c>??</c>) (<c>using var s = x.ToScalar();</c> or a <c>using (...)</c>
    /// statement), a static field or property (initializer or assignment: rooted for the process), or the value a
    /// method returns (a factory: its caller's call is then checked the same way). Anything else — an argument, an
    /// operand, a plain local, an instance field — is a temporary that a garbage collection can free mid-call.
    /// </remarks>
    static class ScalarHolding
    {
        public static bool IsHeld(IOperation made)
        {
            // A conversion, parentheses, or a branch of ?: or ?? passes the Scalar on unchanged: look at what receives it.
            var child = made;
            var parent = made.Parent;
            while (parent is IConversionOperation or IParenthesizedOperation
                   || parent is IConditionalOperation conditional && conditional.Condition != child
                   || parent is ICoalesceOperation)
            {
                child = parent;
                parent = parent.Parent;
            }
            switch (parent)
            {
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Parent: IVariableDeclarationOperation declaration } }:
                    return declaration.Parent is IVariableDeclarationGroupOperation { Parent: IUsingDeclarationOperation or IUsingOperation };
                case IFieldInitializerOperation field:
                    return field.InitializedFields.All(f => f.IsStatic);
                case IPropertyInitializerOperation property:
                    return property.InitializedProperties.All(p => p.IsStatic);
                case ISimpleAssignmentOperation assignment:
                    return IsStatic(assignment.Target);
                case ICoalesceAssignmentOperation assignment:
                    return IsStatic(assignment.Target);
                case IReturnOperation:
                    return true;
                default:
                    return false;
            }
        }

        static bool IsStatic(IOperation target) =>
            target is IFieldReferenceOperation { Field.IsStatic: true } or IPropertyReferenceOperation { Property.IsStatic: true };
    }
}
