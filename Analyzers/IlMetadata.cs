using System.Collections.Generic;
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
}
