using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using static Functional.Analyzers.IlMetadata;

namespace Functional.Analyzers
{
    /// <summary>
    /// The Scalar-lifetime checks on compiled IL: the source of <see cref="UnsafeTorchSharpMembers.Keys"/> (a scan of
    /// TorchSharp itself), and a check of any assembly, whatever language it was written in (F# included, which the
    /// Roslyn analyzer cannot read).
    /// </summary>
    /// <remarks>
    /// A method makes an unheld Scalar when its body converts a number to a Scalar (<c>Scalar.op_Implicit</c>,
    /// <c>ToScalar</c>) more often than it disposes one (<c>using</c> in C#, <c>use</c> in F#) and never calls
    /// <c>GC.KeepAlive</c>. This counts, it does not trace values: it is the coarse net below the analyzer, which sees
    /// the source. Static constructors are exempt (their Scalars go to static fields, rooted for the process).
    /// </remarks>
    public static class IlScalarScan
    {
        sealed class MethodFacts
        {
            public MethodFacts(string key, bool isPublic, bool makesUnheldScalar, List<MethodDefinitionHandle> callees)
            {
                Key = key;
                IsPublic = isPublic;
                MakesUnheldScalar = makesUnheldScalar;
                Callees = callees;
            }

            public string Key { get; }
            public bool IsPublic { get; }
            public bool MakesUnheldScalar { get; }
            public List<MethodDefinitionHandle> Callees { get; }
        }

        /// <summary>
        /// The keys (as <see cref="UnsafeTorchSharpMembers.KeyOf"/> writes them) of the public methods of the assembly
        /// read from <paramref name="assembly"/> (the stream is left open) that make an unheld Scalar or call, inside the assembly, a method that does (to
        /// a fixed point). The conversions themselves are not counted: their callers are.
        /// </summary>
        public static ISet<string> UnsafePublicMembers(Stream assembly)
        {
            using var pe = new PEReader(assembly, PEStreamOptions.LeaveOpen);
            var metadata = pe.GetMetadataReader();
            var facts = new Dictionary<MethodDefinitionHandle, MethodFacts>();
            foreach (var handle in metadata.MethodDefinitions)
            {
                var method = metadata.GetMethodDefinition(handle);
                if (method.RelativeVirtualAddress == 0) continue;
                var calls = Calls(pe, method);
                var key = DefinitionKey(metadata, handle);
                var conversion = key.StartsWith("TorchSharp.Scalar::op_Implicit", StringComparison.Ordinal)
                    || key.StartsWith("TorchSharp.ScalarExtensionMethods::", StringComparison.Ordinal);
                var callees = calls.Select(call => Definition(metadata, call)).Where(d => !d.IsNil).ToList();
                facts[handle] = new MethodFacts(key, IsPublic(metadata, method), !conversion && MakesUnheldScalar(metadata, calls), callees);
            }

            var unsafeMethods = new HashSet<MethodDefinitionHandle>(facts.Where(f => f.Value.MakesUnheldScalar).Select(f => f.Key));
            for (var grew = true; grew;)
            {
                grew = false;
                foreach (var entry in facts)
                    if (!unsafeMethods.Contains(entry.Key) && entry.Value.Callees.Any(unsafeMethods.Contains))
                        grew |= unsafeMethods.Add(entry.Key);
            }
            return new HashSet<string>(unsafeMethods.Where(h => facts[h].IsPublic).Select(h => facts[h].Key));
        }

        /// <summary>
        /// Every method of the assembly read from <paramref name="assembly"/> (the stream is left open) that makes an unheld Scalar, or calls a TorchSharp
        /// member whose key is in <paramref name="unsafeMembers"/>, one line each: <c>Type::Method: what</c>.
        /// </summary>
        public static IReadOnlyList<string> Findings(Stream assembly, ISet<string> unsafeMembers)
        {
            using var pe = new PEReader(assembly, PEStreamOptions.LeaveOpen);
            var metadata = pe.GetMetadataReader();
            var findings = new List<string>();
            foreach (var handle in metadata.MethodDefinitions)
            {
                var method = metadata.GetMethodDefinition(handle);
                if (method.RelativeVirtualAddress == 0) continue;
                var calls = Calls(pe, method);
                var where = TypeName(metadata, method.GetDeclaringType()) + "::" + metadata.GetString(method.Name);
                if (metadata.GetString(method.Name) != ".cctor" && MakesUnheldScalar(metadata, calls))
                    findings.Add(where + ": makes a Scalar that it does not dispose");
                foreach (var call in calls)
                    if (ReferenceKey(metadata, call) is { } key && unsafeMembers.Contains(key))
                        findings.Add(where + ": calls " + key);
            }
            return findings;
        }

        static bool MakesUnheldScalar(MetadataReader metadata, List<EntityHandle> calls)
        {
            var names = calls.Select(call => ShortName(metadata, call)).ToList();
            var made = names.Count(n => n == "Scalar::op_Implicit" || n == "ScalarExtensionMethods::ToScalar");
            var disposed = names.Count(n => n == "Scalar::Dispose" || n == "IDisposable::Dispose");
            return made > disposed && !names.Contains("GC::KeepAlive");
        }

        /// <summary>The method tokens called (call, callvirt, newobj, ldftn) by a method's IL, in order.</summary>
        static List<EntityHandle> Calls(PEReader pe, MethodDefinition method)
        {
            var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!;
            var calls = new List<EntityHandle>();
            for (var i = 0; i < il.Length;)
            {
                var op = ReadOpCode(il, ref i);
                if (op.OperandType == OperandType.InlineMethod)
                    calls.Add(MetadataTokens.EntityHandle(BitConverter.ToInt32(il, i)));
                i += OperandSize(op, il, i);
            }
            return calls;
        }

        static MethodDefinitionHandle Definition(MetadataReader metadata, EntityHandle call) => call.Kind switch
        {
            HandleKind.MethodDefinition => (MethodDefinitionHandle)call,
            HandleKind.MethodSpecification when metadata.GetMethodSpecification((MethodSpecificationHandle)call).Method is { Kind: HandleKind.MethodDefinition } m
                => (MethodDefinitionHandle)m,
            _ => default,
        };

        /// <summary><c>Type::Method</c> of a called method, the type by its simple name.</summary>
        static string ShortName(MetadataReader metadata, EntityHandle call)
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
                    return ShortName(metadata, metadata.GetMethodSpecification((MethodSpecificationHandle)call).Method);
                default:
                    return "?";
            }
        }

        /// <summary>The key of a method this assembly defines.</summary>
        static string DefinitionKey(MetadataReader metadata, MethodDefinitionHandle handle)
        {
            var method = metadata.GetMethodDefinition(handle);
            var signature = method.DecodeSignature(SignatureTypeNames.Instance, null);
            return TypeName(metadata, method.GetDeclaringType()) + "::" + metadata.GetString(method.Name)
                + "(" + string.Join(", ", signature.ParameterTypes) + ")";
        }

        /// <summary>The key of a TorchSharp method this assembly calls, or null when the call is not into TorchSharp.</summary>
        static string? ReferenceKey(MetadataReader metadata, EntityHandle call)
        {
            if (call.Kind == HandleKind.MethodSpecification)
                return ReferenceKey(metadata, metadata.GetMethodSpecification((MethodSpecificationHandle)call).Method);
            if (call.Kind != HandleKind.MemberReference) return null;
            var reference = metadata.GetMemberReference((MemberReferenceHandle)call);
            if (reference.GetKind() != MemberReferenceKind.Method) return null;
            var parent = reference.Parent;
            if (parent.Kind == HandleKind.TypeSpecification)
            {
                // A member of a generic instantiation: the key names the generic type (its parameters stay !0, !1).
                var blob = metadata.GetBlobReader(metadata.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
                if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return null;
                blob.ReadSignatureTypeCode();
                parent = blob.ReadTypeHandle();
            }
            if (parent.Kind != HandleKind.TypeReference || !FromTorchSharp(metadata, (TypeReferenceHandle)parent)) return null;
            var signature = reference.DecodeMethodSignature(SignatureTypeNames.Instance, null);
            return ReferenceTypeName(metadata, (TypeReferenceHandle)parent) + "::" + metadata.GetString(reference.Name)
                + "(" + string.Join(", ", signature.ParameterTypes) + ")";
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
    }
}
