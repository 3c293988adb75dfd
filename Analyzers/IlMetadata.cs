using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;

namespace Functional.Analyzers
{
    /// <summary>
    /// What the IL scans (<see cref="IlScalarScan"/>, and the device scan of the tests) read from an assembly's
    /// metadata: opcodes by value, whether a referenced type comes from TorchSharp, and type names as the scans print them.
    /// </summary>
    public static class IlMetadata
    {
        /// <summary>Every IL opcode by its value (one- and two-byte).</summary>
        public static IReadOnlyDictionary<short, OpCode> OpCodesByValue { get; } = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(field => (OpCode)field.GetValue(null)!)
            .ToDictionary(op => op.Value);

        /// <summary>The opcode at <paramref name="at"/> of a method body, moving <paramref name="at"/> past it (one or two bytes) to its operand.</summary>
        public static OpCode ReadOpCode(byte[] il, ref int at)
        {
            short value = il[at];
            if (value == 0xFE) { value = unchecked((short)(0xFE00 | il[at + 1])); at += 2; } else at += 1;
            return OpCodesByValue[value];
        }

        /// <summary>The size in bytes of <paramref name="op"/>'s operand, which starts at <paramref name="at"/> (a switch's depends on its count).</summary>
        public static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            OperandType.InlineSwitch => 4 + 4 * System.BitConverter.ToInt32(il, at),
            _ => 4,
        };

        /// <summary>Whether the referenced type (or the type it is nested in) lives in the TorchSharp assembly.</summary>
        public static bool FromTorchSharp(MetadataReader metadata, TypeReferenceHandle handle)
        {
            var scope = metadata.GetTypeReference(handle).ResolutionScope;
            while (scope.Kind == HandleKind.TypeReference)
                scope = metadata.GetTypeReference((TypeReferenceHandle)scope).ResolutionScope;
            return scope.Kind == HandleKind.AssemblyReference
                && metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)scope).Name) == "TorchSharp";
        }

        /// <summary>A referenced type's full name, nested types joined by <c>+</c> (<c>TorchSharp.torch+Tensor</c>).</summary>
        public static string ReferenceTypeName(MetadataReader metadata, TypeReferenceHandle handle)
        {
            var type = metadata.GetTypeReference(handle);
            return type.ResolutionScope.Kind == HandleKind.TypeReference
                ? ReferenceTypeName(metadata, (TypeReferenceHandle)type.ResolutionScope) + "+" + metadata.GetString(type.Name)
                : metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name);
        }

        /// <summary>A defined type's full name, nested types joined by <c>+</c>.</summary>
        public static string TypeName(MetadataReader metadata, TypeDefinitionHandle handle)
        {
            var type = metadata.GetTypeDefinition(handle);
            var outer = type.GetDeclaringType();
            return outer.IsNil
                ? metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name)
                : TypeName(metadata, outer) + "+" + metadata.GetString(type.Name);
        }
    }

    /// <summary>
    /// Signature types as the IL scans print them (<see cref="UnsafeTorchSharpMembers.KeyOf"/>): primitive type codes
    /// (<c>Double</c>), simple type names (<c>Tensor</c>), <c>[]</c>, <c>ref </c>, generic arguments in angle brackets.
    /// </summary>
    public sealed class SignatureTypeNames : ISignatureTypeProvider<string, object?>
    {
        /// <summary>The one instance (it holds nothing).</summary>
        public static SignatureTypeNames Instance { get; } = new SignatureTypeNames();

        SignatureTypeNames() { }

        /// <inheritdoc />
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[]";
        /// <inheritdoc />
        public string GetByReferenceType(string elementType) => "ref " + elementType;
        /// <inheritdoc />
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        /// <inheritdoc />
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType + "<" + string.Join(",", typeArguments) + ">";
        /// <inheritdoc />
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        /// <inheritdoc />
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        /// <inheritdoc />
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        /// <inheritdoc />
        public string GetPinnedType(string elementType) => elementType;
        /// <inheritdoc />
        public string GetPointerType(string elementType) => elementType + "*";
        /// <inheritdoc />
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        /// <inheritdoc />
        public string GetSZArrayType(string elementType) => elementType + "[]";
        /// <inheritdoc />
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeDefinition(handle).Name);
        /// <inheritdoc />
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeReference(handle).Name);
        /// <inheritdoc />
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => "spec";
    }
}
