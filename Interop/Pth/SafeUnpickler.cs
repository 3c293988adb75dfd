using System.Buffers.Binary;
using System.Text;

namespace Functional.Interop;

/// <summary>A storage named by a <c>torch.save</c> pickle's persistent id: its file in the archive, dtype and size.</summary>
/// <param name="Key">The file name under <c>data/</c> in the archive.</param>
/// <param name="Dtype">The storage's element type as a safetensors dtype name (<c>F32</c>, ...).</param>
/// <param name="Elements">The number of elements the storage holds.</param>
public sealed record PickledStorage(string Key, string Dtype, long Elements);

/// <summary>A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a strided view of a storage.</summary>
/// <param name="Storage">Its storage.</param>
/// <param name="Offset">The first element's index in the storage.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Strides">Its strides, in elements.</param>
public sealed record PickledTensor(PickledStorage Storage, long Offset, long[] Shape, long[] Strides);

/// <summary>
/// A pickle reader for <c>torch.save</c>'s <c>data.pkl</c> that executes nothing: it knows the data opcodes (numbers,
/// strings, bytes, tuples, lists, dicts, memo, marks), and a global only from an allow-list —
/// <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c> and
/// the typed storage classes (<c>torch.FloatStorage</c>, ...) — each interpreted here by the reader, never looked up or
/// called. Any other global (<c>os.system</c>, <c>builtins.eval</c>, ...) or opcode (<c>INST</c>, <c>OBJ</c>,
/// <c>NEWOBJ</c>, <c>EXT</c>, ...) is refused with an <see cref="InvalidDataException"/> naming it and the file.
/// </summary>
public static class SafeUnpickler
{
    /// <summary>The storage classes the reader accepts and the dtype each holds.</summary>
    static readonly Dictionary<string, string> Storages = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = "F64", ["FloatStorage"] = "F32", ["HalfStorage"] = "F16", ["BFloat16Storage"] = "BF16",
        ["LongStorage"] = "I64", ["IntStorage"] = "I32", ["ShortStorage"] = "I16", ["CharStorage"] = "I8",
        ["ByteStorage"] = "U8", ["BoolStorage"] = "BOOL",
    };

    static readonly string[] Callables = ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter"];

    /// <summary>The globals a pickle may name, for messages.</summary>
    public static IReadOnlyList<string> AllowedGlobals { get; } = [.. Callables, .. Storages.Keys.Select(s => "torch." + s)];

    sealed record Global(string Name);

    sealed class Mark;

    /// <summary>An ordered dict (Python's dict and OrderedDict both keep insertion order).</summary>
    public sealed class PickledDict : List<KeyValuePair<object?, object?>>;

    /// <summary>
    /// The object <paramref name="pickle"/> holds, with dicts as <see cref="PickledDict"/>, lists as
    /// <c>List&lt;object?&gt;</c>, tuples as <c>object?[]</c>, tensors as <see cref="PickledTensor"/>, integers as
    /// <c>long</c> (or <see cref="System.Numerics.BigInteger"/> beyond), floats as <c>double</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">A refused global or opcode, or a malformed or truncated pickle; the message names <paramref name="source"/>.</exception>
    public static object? Load(ReadOnlySpan<byte> pickle, string source)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        var at = 0;
        InvalidDataException Bad(string problem) => new($"not a valid PyTorch file: {source}: {problem}.");
        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, long count)
        {
            if (count < 0 || count > data.Length - at) throw Bad($"the pickle ends inside an argument at byte {at} (truncated)");
            var slice = data.Slice(at, (int)count);
            at += (int)count;
            return slice;
        }
        object? Pop()
        {
            if (stack.Count == 0) throw Bad($"the pickle pops an empty stack at byte {at}");
            var top = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return top;
        }
        List<object?> PopMark()
        {
            var mark = stack.FindLastIndex(v => v is Mark);
            if (mark < 0) throw Bad($"the pickle has no mark at byte {at}");
            var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
            stack.RemoveRange(mark, stack.Count - mark);
            return items;
        }
        Global Allow(string module, string name)
        {
            var full = $"{module}.{name}";
            if (Callables.Contains(full) || (module == "torch" && Storages.ContainsKey(name))) return new Global(full);
            throw Bad($"refused global '{full}': this reader only rebuilds tensors and state dicts and executes nothing (allowed: {string.Join(", ", AllowedGlobals)})");
        }
        object? Reduce(object? callable, object? arguments)
        {
            if (callable is not Global global) throw Bad($"REDUCE calls a {Describe(callable)}, not an allowed global");
            var args = arguments as object?[] ?? throw Bad($"REDUCE of {global.Name} with a {Describe(arguments)}, not a tuple");
            switch (global.Name)
            {
                case "collections.OrderedDict":
                    if (args.Length != 0) throw Bad("collections.OrderedDict called with arguments");
                    return new PickledDict();
                case "torch._utils._rebuild_parameter":
                    if (args.Length < 1 || args[0] is not PickledTensor parameter) throw Bad("torch._utils._rebuild_parameter without a tensor");
                    return parameter;
                case "torch._utils._rebuild_tensor_v2":
                    if (args.Length < 4 || args[0] is not PickledStorage storage || args[1] is not long offset
                        || Longs(args[2]) is not { } shape || Longs(args[3]) is not { } strides || shape.Length != strides.Length)
                        throw Bad("torch._utils._rebuild_tensor_v2 with arguments other than (storage, offset, size, stride, ...)");
                    return new PickledTensor(storage, offset, shape, strides);
                default:
                    throw Bad($"refused call of '{global.Name}' (only OrderedDict and the tensor rebuilders are called)");
            }
        }

        while (true)
        {
            if (at >= pickle.Length) throw Bad("the pickle ends without STOP (truncated)");
            var opcode = pickle[at++];
            switch (opcode)
            {
                case 0x80: Take(pickle, 1); break; // PROTO
                case 0x95: Take(pickle, 8); break; // FRAME
                case 0x2E: return stack.Count == 1 ? stack[0] : throw Bad($"STOP with {stack.Count} values on the stack"); // STOP
                case 0x28: stack.Add(new Mark()); break; // MARK
                case 0x7D: stack.Add(new PickledDict()); break; // EMPTY_DICT
                case 0x5D: stack.Add(new List<object?>()); break; // EMPTY_LIST
                case 0x29: stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case 0x64: // DICT
                {
                    var items = PopMark();
                    var dict = new PickledDict();
                    for (var i = 0; i + 1 < items.Count; i += 2) dict.Add(new(items[i], items[i + 1]));
                    stack.Add(dict);
                    break;
                }
                case 0x6C: stack.Add(PopMark()); break; // LIST
                case 0x74: stack.Add(PopMark().ToArray()); break; // TUPLE
                case 0x85: stack.Add(new[] { Pop() }); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; } // TUPLE3
                case 0x58: stack.Add(Encoding.UTF8.GetString(Take(pickle, BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, 4))))); break; // BINUNICODE
                case 0x8C: stack.Add(Encoding.UTF8.GetString(Take(pickle, Take(pickle, 1)[0]))); break; // SHORT_BINUNICODE
                case 0x8D: stack.Add(Encoding.UTF8.GetString(Take(pickle, (long)BinaryPrimitives.ReadUInt64LittleEndian(Take(pickle, 8))))); break; // BINUNICODE8
                case 0x54: stack.Add(Encoding.Latin1.GetString(Take(pickle, BinaryPrimitives.ReadInt32LittleEndian(Take(pickle, 4))))); break; // BINSTRING
                case 0x55: stack.Add(Encoding.Latin1.GetString(Take(pickle, Take(pickle, 1)[0]))); break; // SHORT_BINSTRING
                case 0x42: stack.Add(Take(pickle, BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, 4))).ToArray()); break; // BINBYTES
                case 0x43: stack.Add(Take(pickle, Take(pickle, 1)[0]).ToArray()); break; // SHORT_BINBYTES
                case 0x71: memo[Take(pickle, 1)[0]] = Top(); break; // BINPUT
                case 0x72: memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, 4))] = Top(); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Top(); break; // MEMOIZE
                case 0x68: stack.Add(Memo(Take(pickle, 1)[0])); break; // BINGET
                case 0x6A: stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, 4)))); break; // LONG_BINGET
                case 0x63: // GLOBAL: "module\nname\n"
                {
                    var module = Line(pickle);
                    stack.Add(Allow(module, Line(pickle)));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop() as string ?? throw Bad("STACK_GLOBAL without a name");
                    var module = Pop() as string ?? throw Bad("STACK_GLOBAL without a module");
                    stack.Add(Allow(module, name));
                    break;
                }
                case 0x4A: stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(pickle, 4))); break; // BININT
                case 0x4B: stack.Add((long)Take(pickle, 1)[0]); break; // BININT1
                case 0x4D: stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(pickle, 2))); break; // BININT2
                case 0x8A: stack.Add(Long(Take(pickle, Take(pickle, 1)[0]))); break; // LONG1
                case 0x8B: stack.Add(Long(Take(pickle, BinaryPrimitives.ReadInt32LittleEndian(Take(pickle, 4))))); break; // LONG4
                case 0x47: stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(pickle, 8))); break; // BINFLOAT
                case 0x4E: stack.Add(null); break; // NONE
                case 0x88: stack.Add(true); break; // NEWTRUE
                case 0x89: stack.Add(false); break; // NEWFALSE
                case 0x30: Pop(); break; // POP
                case 0x31: PopMark(); break; // POP_MARK
                case 0x32: stack.Add(Top()); break; // DUP
                case 0x73: // SETITEM
                {
                    var value = Pop();
                    var key = Pop();
                    (Top() as PickledDict ?? throw Bad($"SETITEM on a {Describe(Top())}")).Add(new(key, value));
                    break;
                }
                case 0x75: // SETITEMS
                {
                    var items = PopMark();
                    var dict = Top() as PickledDict ?? throw Bad($"SETITEMS on a {Describe(Top())}");
                    for (var i = 0; i + 1 < items.Count; i += 2) dict.Add(new(items[i], items[i + 1]));
                    break;
                }
                case 0x61: { var value = Pop(); (Top() as List<object?> ?? throw Bad($"APPEND on a {Describe(Top())}")).Add(value); break; } // APPEND
                case 0x65: { var items = PopMark(); (Top() as List<object?> ?? throw Bad($"APPENDS on a {Describe(Top())}")).AddRange(items); break; } // APPENDS
                case 0x52: { var arguments = Pop(); stack.Add(Reduce(Pop(), arguments)); break; } // REDUCE
                case 0x62: // BUILD: only an OrderedDict's attributes (a state dict's _metadata), which are dropped
                {
                    var state = Pop();
                    if (Top() is not PickledDict) throw Bad($"BUILD (setting attributes) on a {Describe(Top())}");
                    _ = state;
                    break;
                }
                case 0x51: // BINPERSID: ('storage', storage class, key, location, elements)
                {
                    var id = Pop() as object?[];
                    if (id is not ["storage", Global { Name: var type }, string key, string, long elements] || !type.StartsWith("torch.", StringComparison.Ordinal)
                        || !Storages.TryGetValue(type["torch.".Length..], out var dtype))
                        throw Bad($"a persistent id that is not ('storage', torch.<Type>Storage, key, location, size): {Describe(id)}");
                    stack.Add(new PickledStorage(key, dtype, elements));
                    break;
                }
                default:
                    throw Bad($"refused pickle opcode 0x{opcode:x2} ('{(char)opcode}') at byte {at - 1}: a torch.save state dict does not need it");
            }
        }

        object? Top() => stack.Count > 0 ? stack[^1] : throw Bad($"the pickle reads an empty stack at byte {at}");
        object? Memo(long key) => memo.TryGetValue(key, out var value) ? value : throw Bad($"the pickle reads memo {key}, which was never stored");
        string Line(ReadOnlySpan<byte> data)
        {
            var end = data[at..].IndexOf((byte)'\n');
            if (end < 0) throw Bad("GLOBAL without a newline (truncated)");
            var text = Encoding.UTF8.GetString(data.Slice(at, end));
            at += end + 1;
            return text;
        }
    }

    static object Long(ReadOnlySpan<byte> bytes)
    {
        var value = new System.Numerics.BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    static long[]? Longs(object? value) =>
        value is object?[] items && items.All(i => i is long) ? items.Select(i => (long)i!).ToArray() : null;

    static string Describe(object? value) => value switch
    {
        null => "None",
        object?[] tuple => $"tuple ({string.Join(", ", tuple.Select(Describe))})",
        string text => $"'{text}'",
        long number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => value.GetType().Name,
    };
}
