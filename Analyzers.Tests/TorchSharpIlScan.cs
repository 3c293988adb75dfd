using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Functional.Analyzers.Tests;

/// <summary>
/// Finds, in TorchSharp's IL, the public members that make a Scalar and let it die: the source of
/// <see cref="UnsafeTorchSharpMembers.Keys"/>.
/// </summary>
/// <remarks>
/// A method is unsafe when its body converts a number to a Scalar (<c>Scalar.op_Implicit</c>, <c>ToScalar</c>) more
/// often than it disposes one and never calls <c>GC.KeepAlive</c>, or when it calls an unsafe method of TorchSharp
/// (to a fixed point). The conversions themselves are not counted as unsafe callers: their callers are. Keys are
/// written as <see cref="UnsafeTorchSharpMembers.KeyOf"/> writes them.
/// </remarks>
public static class TorchSharpIlScan
{
    sealed record MethodFacts(string Key, bool Public, bool MakesUnheldScalar, List<MethodDefinitionHandle> Callees);

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(op => op.Value);

    /// <summary>The keys of the unsafe public members of the assembly at <paramref name="path"/>.</summary>
    public static IReadOnlySet<string> UnsafePublicMembers(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        var facts = new Dictionary<MethodDefinitionHandle, MethodFacts>();
        foreach (var handle in metadata.MethodDefinitions)
        {
            var method = metadata.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            var calls = Calls(metadata, pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!);
            var names = calls.Select(call => Name(metadata, call)).ToList();
            var key = Key(metadata, handle);
            var conversion = key.StartsWith("TorchSharp.Scalar::op_Implicit", StringComparison.Ordinal)
                || key.StartsWith("TorchSharp.ScalarExtensionMethods::", StringComparison.Ordinal);
            var made = names.Count(n => n is "Scalar::op_Implicit" or "ScalarExtensionMethods::ToScalar");
            var disposed = names.Count(n => n is "Scalar::Dispose" or "IDisposable::Dispose");
            var unheld = !conversion && made > disposed && !names.Contains("GC::KeepAlive");
            var callees = calls.Select(Definition).Where(d => !d.IsNil).ToList();
            facts[handle] = new MethodFacts(key, IsPublic(metadata, method), unheld, callees);
        }

        var unsafeMethods = facts.Where(f => f.Value.MakesUnheldScalar).Select(f => f.Key).ToHashSet();
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (handle, fact) in facts)
                if (!unsafeMethods.Contains(handle) && fact.Callees.Any(unsafeMethods.Contains))
                    grew = unsafeMethods.Add(handle);
        }
        return unsafeMethods.Where(h => facts[h].Public).Select(h => facts[h].Key).ToHashSet();

        MethodDefinitionHandle Definition(EntityHandle call) => call.Kind switch
        {
            HandleKind.MethodDefinition => (MethodDefinitionHandle)call,
            HandleKind.MethodSpecification when metadata.GetMethodSpecification((MethodSpecificationHandle)call).Method is { Kind: HandleKind.MethodDefinition } m
                => (MethodDefinitionHandle)m,
            _ => default,
        };
    }

    /// <summary>The method tokens called (call, callvirt, newobj, ldftn) by an IL body, in order.</summary>
    static List<EntityHandle> Calls(MetadataReader metadata, byte[] il)
    {
        var calls = new List<EntityHandle>();
        for (var i = 0; i < il.Length;)
        {
            short value = il[i];
            if (value == 0xFE) { value = unchecked((short)(0xFE00 | il[i + 1])); i += 2; } else i += 1;
            var op = OpCodesByValue[value];
            if (op.OperandType == OperandType.InlineMethod)
                calls.Add(MetadataTokens.EntityHandle(BitConverter.ToInt32(il, i)));
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
        return calls;
    }

    /// <summary><c>Type::Method</c> of a called method, the type by its simple name.</summary>
    static string Name(MetadataReader metadata, EntityHandle call)
    {
        switch (call.Kind)
        {
            case HandleKind.MethodDefinition:
                var definition = metadata.GetMethodDefinition((MethodDefinitionHandle)call);
                return metadata.GetString(metadata.GetTypeDefinition(definition.GetDeclaringType()).Name) + "::" + metadata.GetString(definition.Name);
            case HandleKind.MemberReference:
                var reference = metadata.GetMemberReference((MemberReferenceHandle)call);
                var parent = reference.Parent.Kind switch
                {
                    HandleKind.TypeReference => metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)reference.Parent).Name),
                    HandleKind.TypeDefinition => metadata.GetString(metadata.GetTypeDefinition((TypeDefinitionHandle)reference.Parent).Name),
                    _ => "?",
                };
                return parent + "::" + metadata.GetString(reference.Name);
            case HandleKind.MethodSpecification:
                return Name(metadata, metadata.GetMethodSpecification((MethodSpecificationHandle)call).Method);
            default:
                return "?";
        }
    }

    static string Key(MetadataReader metadata, MethodDefinitionHandle handle)
    {
        var method = metadata.GetMethodDefinition(handle);
        var signature = method.DecodeSignature(new KeyTypeProvider(), null);
        return TypeName(metadata, method.GetDeclaringType()) + "::" + metadata.GetString(method.Name)
            + "(" + string.Join(", ", signature.ParameterTypes) + ")";
    }

    static string TypeName(MetadataReader metadata, TypeDefinitionHandle handle)
    {
        var type = metadata.GetTypeDefinition(handle);
        var outer = type.GetDeclaringType();
        return outer.IsNil
            ? metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name)
            : TypeName(metadata, outer) + "+" + metadata.GetString(type.Name);
    }

    static bool IsPublic(MetadataReader metadata, MethodDefinition method) =>
        (method.Attributes & MethodAttributes.MemberAccessMask) == MethodAttributes.Public && IsVisible(metadata, method.GetDeclaringType());

    static bool IsVisible(MetadataReader metadata, TypeDefinitionHandle handle)
    {
        var type = metadata.GetTypeDefinition(handle);
        return (type.Attributes & TypeAttributes.VisibilityMask) switch
        {
            TypeAttributes.Public => true,
            TypeAttributes.NestedPublic => IsVisible(metadata, type.GetDeclaringType()),
            _ => false,
        };
    }

    /// <summary>Parameter types as <see cref="UnsafeTorchSharpMembers.KeyOf"/> writes them.</summary>
    sealed class KeyTypeProvider : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[]";
        public string GetByReferenceType(string elementType) => "ref " + elementType;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType + "<" + string.Join(",", typeArguments) + ">";
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeDefinition(handle).Name);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeReference(handle).Name);
        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) => "spec";
    }
}
