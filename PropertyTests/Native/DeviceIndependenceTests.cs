using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Functional.Core;
using Functional.Optimizers;
using Xunit;
using Functional.Analyzers;
using static Functional.Analyzers.IlMetadata;

namespace Functional.PropertyTests.Native;

/// <summary>
/// The libraries name no device: the application (the command line, a user's program) chooses it, and the libraries
/// take it from their inputs. An IL scan of every library assembly, the F# examples included, for the ways a device is
/// named in code: the static devices (<c>torch.CPU</c>, <c>torch.META</c>, <c>torch.CUDA</c>, <c>torch.MPS</c>), a
/// device made from a literal (<c>torch.device("cpu")</c>, <c>new Device("cuda")</c>,
/// <c>new Device(DeviceType.CPU)</c>), a tensor moved with <c>.cuda()</c>, and a device type compared with a
/// constant (<c>t.device_type == DeviceType.CPU</c>).
/// </summary>
public sealed class DeviceIndependenceTests
{
    [Theory]
    [MemberData(nameof(LibraryAssemblies.Paths), MemberType = typeof(LibraryAssemblies))]
    public void A_library_names_no_device(string path)
    {
        var findings = DeviceScan.Findings(path).Where(finding => !HostBookkeeping.Any(site => finding.StartsWith(site, StringComparison.Ordinal))).ToArray();
        Assert.True(findings.Length == 0, $"{Path.GetFileName(path)} names a device in {findings.Length} places (take it from the caller or the tensors instead):\n  " + string.Join("\n  ", findings));
    }

    /// <summary>
    /// The only sites allowed to name a device: the optimizer states' 0-d counters and injected learning rate live on the
    /// host whatever the parameters' device, because each update reads them as numbers (<c>.item()</c>) and a device
    /// tensor would make every step wait for the device. They hold no user data.
    /// </summary>
    static readonly string[] HostBookkeeping = ["Functional.Optimizers.Counter::Of: ", "Functional.Optimizers.LearningRateState::At: "];

    [Fact]
    public void The_host_bookkeeping_sites_are_the_ones_that_name_the_CPU()
    {
        // Each allowed site still names the CPU (so the list shrinks when one stops), and nothing else in Optimizers does.
        var findings = DeviceScan.Findings(typeof(Functional.Optimizers.Optimizer).Assembly.Location);
        Assert.All(HostBookkeeping, site => Assert.Contains(findings, finding => finding.StartsWith(site, StringComparison.Ordinal)));
    }

    [Fact]
    public void The_scan_finds_the_devices_TorchSharp_names_itself()
    {
        // The check can fail: TorchSharp's own IL names devices (torch.CUDA is made from DeviceType.CUDA, Tensor.is_cuda compares with it).
        var findings = DeviceScan.Findings(typeof(TorchSharp.torch).Assembly.Location);
        Assert.Contains(findings, f => f.StartsWith("TorchSharp.torch::get_CUDA: new Device(DeviceType.CUDA", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("TorchSharp.torch+Tensor::get_is_cuda: compares a device type with DeviceType.CUDA", StringComparison.Ordinal));
    }

    [Fact]
    public void The_scan_finds_a_device_named_in_a_test()
    {
        // This assembly is an application: it may name the CPU, and the scan sees it.
        var findings = DeviceScan.Findings(typeof(DeviceIndependenceTests).Assembly.Location);
        Assert.Contains(findings, f => f.EndsWith(": reads torch.CPU", StringComparison.Ordinal));
    }

    /// <summary>The device-naming sites of an assembly's IL, one line each: <c>Type::Method: what</c>.</summary>
    static class DeviceScan
    {

        static readonly HashSet<string> StaticDevices = ["TorchSharp.torch::CPU", "TorchSharp.torch::META", "TorchSharp.torch::get_CUDA", "TorchSharp.torch::get_MPS"];

        sealed record Instruction(OpCode Op, int Operand, long? Constant, string? Text);

        public static IReadOnlyList<string> Findings(string path)
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            var metadata = pe.GetMetadataReader();
            var findings = new List<string>();
            foreach (var handle in metadata.MethodDefinitions)
            {
                var method = metadata.GetMethodDefinition(handle);
                if (method.RelativeVirtualAddress == 0) continue;
                var where = TypeName(metadata, method.GetDeclaringType()) + "::" + metadata.GetString(method.Name);
                var code = Decode(pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!, metadata);
                for (var i = 0; i < code.Count; i++)
                    if (Finding(metadata, code, i) is { } what)
                        findings.Add(where + ": " + what);
            }
            return findings;
        }

        /// <summary>What instruction <paramref name="i"/> does to name a device, or null.</summary>
        static string? Finding(MetadataReader metadata, List<Instruction> code, int i)
        {
            var instruction = code[i];
            if (instruction.Op.OperandType is not (OperandType.InlineMethod or OperandType.InlineField)) return null;
            var member = TorchSharpMember(metadata, MetadataTokens.EntityHandle(instruction.Operand));
            if (member is null) return null;
            var (name, parameters) = member.Value;
            if (StaticDevices.Contains(name))
                return "reads torch." + name.Split("::")[1].Replace("get_", "", StringComparison.Ordinal);
            if (name == "TorchSharp.torch+Tensor::cuda") return "moves a tensor with .cuda()";
            var makesDevice = name is "TorchSharp.torch::device" or "TorchSharp.torch+Device::.ctor";
            if (makesDevice && parameters.Count > 0)
            {
                // The first argument was pushed parameters.Count instructions back when every argument is one instruction.
                var first = i - parameters.Count;
                if (first >= 0 && parameters.Skip(1).Select((_, k) => code[first + 1 + k]).All(IsConstant))
                {
                    var made = name.EndsWith(".ctor", StringComparison.Ordinal) ? "new Device" : "torch.device";
                    if (parameters[0] == "String" && code[first].Text is { } text) return $"{made}(\"{text}\")";
                    if (parameters[0] == "DeviceType" && code[first].Constant is { } type) return $"{made}(DeviceType.{DeviceTypeName(type)})";
                }
            }
            var readsType = name is "TorchSharp.torch+Tensor::get_device_type" or "TorchSharp.torch+Device::get_type";
            if (readsType && i + 2 < code.Count && code[i + 1].Constant is { } compared && IsComparison(code[i + 2].Op))
                return "compares a device type with DeviceType." + DeviceTypeName(compared);
            if (readsType && i + 1 < code.Count && IsZeroTest(code[i + 1].Op))
                return "compares a device type with DeviceType.CPU"; // CPU is 0: the compiler tests for zero
            return null;
        }

        static string DeviceTypeName(long value) => ((TorchSharp.DeviceType)value).ToString();

        static bool IsConstant(Instruction instruction) => instruction.Constant is not null || instruction.Text is not null || instruction.Op == OpCodes.Ldnull;

        static bool IsZeroTest(OpCode op) =>
            op == OpCodes.Brtrue || op == OpCodes.Brtrue_S || op == OpCodes.Brfalse || op == OpCodes.Brfalse_S;

        static bool IsComparison(OpCode op) =>
            op == OpCodes.Ceq || op == OpCodes.Beq || op == OpCodes.Beq_S || op == OpCodes.Bne_Un || op == OpCodes.Bne_Un_S;

        /// <summary><c>Type::Member</c> and parameter type names of a TorchSharp method or field, or null for any other member.</summary>
        static (string Name, List<string> Parameters)? TorchSharpMember(MetadataReader metadata, EntityHandle handle)
        {
            if (handle.Kind == HandleKind.MethodSpecification)
                return TorchSharpMember(metadata, metadata.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
            if (IsTorchSharp(metadata) && handle.Kind is HandleKind.MethodDefinition or HandleKind.FieldDefinition)
            {
                // TorchSharp's own IL (the scan's self-check) calls its members by definition.
                if (handle.Kind == HandleKind.FieldDefinition)
                {
                    var field = metadata.GetFieldDefinition((FieldDefinitionHandle)handle);
                    return (TypeName(metadata, field.GetDeclaringType()) + "::" + metadata.GetString(field.Name), []);
                }
                var definition = metadata.GetMethodDefinition((MethodDefinitionHandle)handle);
                return (TypeName(metadata, definition.GetDeclaringType()) + "::" + metadata.GetString(definition.Name),
                    definition.DecodeSignature(SignatureTypeNames.Instance, null).ParameterTypes.ToList());
            }
            if (handle.Kind != HandleKind.MemberReference) return null;
            var reference = metadata.GetMemberReference((MemberReferenceHandle)handle);
            if (reference.Parent.Kind != HandleKind.TypeReference || !FromTorchSharp(metadata, (TypeReferenceHandle)reference.Parent)) return null;
            var name = ReferenceTypeName(metadata, (TypeReferenceHandle)reference.Parent) + "::" + metadata.GetString(reference.Name);
            var parameters = reference.GetKind() == MemberReferenceKind.Method
                ? reference.DecodeMethodSignature(SignatureTypeNames.Instance, null).ParameterTypes.ToList()
                : [];
            return (name, parameters);
        }

        static List<Instruction> Decode(byte[] il, MetadataReader metadata)
        {
            var code = new List<Instruction>();
            for (var i = 0; i < il.Length;)
            {
                var op = ReadOpCode(il, ref i);
                var size = OperandSize(op, il, i);
                var operand = size == 4 ? BitConverter.ToInt32(il, i) : size == 1 ? il[i] : 0;
                long? constant = op.Value switch
                {
                    var v when v >= OpCodes.Ldc_I4_0.Value && v <= OpCodes.Ldc_I4_8.Value => v - OpCodes.Ldc_I4_0.Value,
                    var v when v == OpCodes.Ldc_I4_M1.Value => -1,
                    var v when v == OpCodes.Ldc_I4_S.Value => unchecked((sbyte)il[i]),
                    var v when v == OpCodes.Ldc_I4.Value => BitConverter.ToInt32(il, i),
                    _ => null,
                };
                var text = op == OpCodes.Ldstr ? metadata.GetUserString(MetadataTokens.UserStringHandle(operand & 0xFFFFFF)) : null;
                code.Add(new Instruction(op, operand, constant, text));
                i += size;
            }
            return code;
        }

        static bool IsTorchSharp(MetadataReader metadata) =>
            metadata.IsAssembly && metadata.GetString(metadata.GetAssemblyDefinition().Name) == "TorchSharp";
    }
}
