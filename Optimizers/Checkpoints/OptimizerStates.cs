using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>An optimizer state as plain data: named tensors plus a JSON description of everything else.</summary>
/// <param name="Tensors">The state's tensors in tree order, named by their path in the state (<c>states/0/mu/1</c>).</param>
/// <param name="Structure">
/// JSON: each record as <c>{"type": assembly-qualified name, "fields": {...}}</c> in constructor order, each list as
/// <c>{"list": element type, "items": [...]}</c>, each scalar as <c>{"scalar": type, "value": invariant round-trip text}</c>,
/// each tensor as <c>{"tensor": name}</c>, absent values as <c>null</c>.
/// </param>
public sealed record EncodedState(IReadOnlyList<TreeLeaf> Tensors, string Structure);

/// <summary>
/// Checkpointing, comparison and printing of optimizer states. A state is any value built from immutable records
/// (a public constructor taking all public properties), lists and arrays, fields typed <c>object</c>, tensors,
/// and scalars (numbers, booleans, strings, enums) — every state of this library is.
/// </summary>
public static class OptimizerStates
{
    /// <summary>
    /// The state as named tensors and a JSON structure. <see cref="Decode"/> of the result gives a state equal to
    /// <paramref name="state"/> (<see cref="Equal"/>: same types, same scalars bit for bit, tensors bitwise). The
    /// tensors are the state's own (not copies).
    /// </summary>
    public static EncodedState Encode(object state)
    {
        var tensors = new List<TreeLeaf>();
        var structure = EncodeValue(state, "", tensors);
        return new EncodedState(tensors, structure?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null");
    }

    /// <summary>
    /// The state described by <paramref name="encoded"/>. The rebuilt state holds the given tensors themselves.
    /// </summary>
    /// <exception cref="ArgumentException">The JSON names a type that is not a state type, or a tensor that is not given.</exception>
    public static object Decode(EncodedState encoded)
    {
        var tensors = encoded.Tensors.ToDictionary(t => t.Path, t => t.Value);
        var root = JsonNode.Parse(encoded.Structure);
        return DecodeValue(root, typeof(object), tensors) ?? throw new ArgumentException("The encoded state is null.", nameof(encoded));
    }

    /// <summary>
    /// Value equality of two states: same record types, same structure, scalars equal bit for bit (so NaN equals
    /// NaN), tensors with the same name, dtype, shape and bytes.
    /// </summary>
    public static bool Equal(object first, object second)
    {
        var (a, b) = (Encode(first), Encode(second));
        if (a.Structure != b.Structure || a.Tensors.Count != b.Tensors.Count) return false;
        for (var i = 0; i < a.Tensors.Count; i++)
        {
            var (x, y) = (a.Tensors[i].Value, b.Tensors[i].Value);
            if (a.Tensors[i].Path != b.Tensors[i].Path || x.dtype != y.dtype || !x.shape.SequenceEqual(y.shape)) return false;
            using var left = x.contiguous();
            using var right = y.contiguous();
            if (!left.bytes.SequenceEqual(right.bytes)) return false;
        }
        return true;
    }

    /// <summary>
    /// A readable, indented description: one line per record (its type), scalar (name = value) and tensor (path,
    /// dtype, shape and its Euclidean norm).
    /// </summary>
    public static string Describe(object state)
    {
        var builder = new StringBuilder();
        DescribeValue(state, "state", 0, builder);
        return builder.ToString().TrimEnd();
    }

    /// <summary>The first state of type <typeparamref name="T"/> inside <paramref name="state"/> (depth first), or null.</summary>
    public static T? Find<T>(object state) where T : class =>
        state is null ? null : Nodes(state).OfType<T>().FirstOrDefault();

    /// <summary>
    /// The tensors of <paramref name="state"/> in the order of <see cref="Encode"/> (the state's own, not copies),
    /// found without building the JSON structure: for releasing a state.
    /// </summary>
    public static IReadOnlyList<torch.Tensor> Tensors(object state) => Nodes(state).OfType<torch.Tensor>().ToArray();

    /// <summary>Every value inside <paramref name="state"/>, itself first, depth first (list items and record fields in order).</summary>
    static IEnumerable<object> Nodes(object state)
    {
        yield return state;
        if (state is torch.Tensor || IsScalar(state.GetType())) yield break;
        var children = state is IEnumerable items ? items.Cast<object?>() : Fields(state).Select(field => field.Value);
        foreach (var child in children)
            if (child is not null)
                foreach (var node in Nodes(child)) yield return node;
    }

    static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal);

    static ConstructorInfo RecordConstructor(Type type) =>
        type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(c => c.GetParameters().All(p => Property(type, p) is not null))
            .MaxBy(c => c.GetParameters().Length)
        ?? throw new ArgumentException($"{type.FullName} is not a state type: it needs a public constructor taking its public properties (a positional record).");

    static PropertyInfo? Property(Type type, ParameterInfo parameter) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.GetIndexParameters().Length == 0 && string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));

    static IEnumerable<(ParameterInfo Parameter, object? Value)> Fields(object record)
    {
        var type = record.GetType();
        if (typeof(Delegate).IsAssignableFrom(type))
            throw new ArgumentException($"A state cannot hold a function ({type.Name}); keep functions in the transformation.");
        return RecordConstructor(type).GetParameters().Select(p => (p, Property(type, p)!.GetValue(record)));
    }

    static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericArguments().Length == 1 && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0]
        : null;

    static JsonNode? EncodeValue(object? value, string path, List<TreeLeaf> tensors)
    {
        switch (value)
        {
            case null:
                return null;
            case torch.Tensor tensor:
                tensors.Add(new TreeLeaf(path, tensor));
                return new JsonObject { ["tensor"] = path };
        }
        var type = value.GetType();
        if (IsScalar(type))
            return new JsonObject { ["scalar"] = type.AssemblyQualifiedName, ["value"] = ScalarText(value) };
        if (value is IEnumerable items && ElementType(type) is { } element)
        {
            var array = new JsonArray();
            var index = 0;
            foreach (var item in items) array.Add(EncodeValue(item, TreePath.Join(path, (index++).ToString(CultureInfo.InvariantCulture)), tensors));
            return new JsonObject { ["list"] = element.AssemblyQualifiedName, ["items"] = array };
        }
        var fields = new JsonObject();
        foreach (var (parameter, field) in Fields(value))
            fields[parameter.Name!] = EncodeValue(field, TreePath.Join(path, TreePath.FieldSegment(parameter.Name!)), tensors);
        return new JsonObject { ["type"] = type.AssemblyQualifiedName, ["fields"] = fields };
    }

    static string ScalarText(object value) => value switch
    {
        double d => BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(-0.0) ? "-0" : d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        Enum e => e.ToString(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    static object ParseScalar(Type type, string text) =>
        type == typeof(string) ? text
        : type.IsEnum ? Enum.Parse(type, text)
        : type == typeof(bool) ? bool.Parse(text)
        : type == typeof(char) ? text[0]
        : Convert.ChangeType(text, type, CultureInfo.InvariantCulture);

    /// <summary>
    /// Assembly names that states were written under before an assembly was renamed, and the assembly that holds those
    /// types now: <c>Optimizers</c> became <c>Functional.Optimizers</c> (the types kept their namespaces).
    /// </summary>
    static readonly IReadOnlyDictionary<string, System.Reflection.Assembly> RenamedAssemblies =
        new Dictionary<string, System.Reflection.Assembly>(StringComparer.Ordinal) { ["Optimizers"] = typeof(OptimizerStates).Assembly };

    /// <summary>The type an encoded state names, reading the assembly names of <see cref="RenamedAssemblies"/> as their new ones; null when unknown.</summary>
    static Type? FindType(string name) =>
        Type.GetType(name,
            assembly => RenamedAssemblies.TryGetValue(assembly.Name ?? "", out var renamed) ? renamed : LoadOrNull(assembly),
            (assembly, typeName, ignoreCase) => assembly is null ? Type.GetType(typeName, false, ignoreCase) : assembly.GetType(typeName, false, ignoreCase),
            throwOnError: false);

    static System.Reflection.Assembly? LoadOrNull(System.Reflection.AssemblyName name)
    {
        try
        {
            return System.Reflection.Assembly.Load(name);
        }
        catch (IOException)
        {
            return null;
        }
    }

    static Type ResolveType(string? name)
    {
        var type = name is null ? null : FindType(name);
        if (type is null) throw new ArgumentException($"Unknown type '{name}' in the encoded state.");
        if (typeof(Delegate).IsAssignableFrom(type) || type.IsAbstract || type.IsInterface)
            throw new ArgumentException($"'{type.FullName}' cannot be part of a state.");
        return type;
    }

    static object? DecodeValue(JsonNode? node, Type declared, Dictionary<string, torch.Tensor> tensors)
    {
        if (node is null) return null;
        var json = node.AsObject();
        if (json.TryGetPropertyValue("tensor", out var name))
            return tensors.TryGetValue(name!.GetValue<string>(), out var tensor)
                ? tensor
                : throw new ArgumentException($"The encoded state needs the tensor '{name}', which is not given.");
        if (json.TryGetPropertyValue("scalar", out var scalarType))
            return ParseScalar(ResolveType(scalarType!.GetValue<string>()), json["value"]!.GetValue<string>());
        if (json.TryGetPropertyValue("list", out var elementName))
        {
            var elementText = elementName!.GetValue<string>();
            var element = FindType(elementText) ?? throw new ArgumentException($"Unknown type '{elementText}' in the encoded state.");
            var items = json["items"]!.AsArray();
            var array = Array.CreateInstance(element, items.Count);
            for (var i = 0; i < items.Count; i++) array.SetValue(DecodeValue(items[i], element, tensors), i);
            return declared.IsGenericType && declared.GetGenericTypeDefinition() == typeof(List<>) ? Activator.CreateInstance(declared, array) : array;
        }
        var type = ResolveType(json["type"]?.GetValue<string>());
        if (!declared.IsAssignableFrom(type)) throw new ArgumentException($"The encoded state has a {type.Name} where a {declared.Name} belongs.");
        var constructor = RecordConstructor(type);
        var fields = json["fields"]!.AsObject();
        var arguments = constructor.GetParameters().Select(p => DecodeValue(fields[p.Name!], p.ParameterType, tensors)).ToArray();
        return constructor.Invoke(arguments);
    }

    static void DescribeValue(object? value, string name, int depth, StringBuilder builder)
    {
        var indent = new string(' ', depth * 2);
        switch (value)
        {
            case null:
                builder.AppendLine($"{indent}{name} = null");
                return;
            case torch.Tensor tensor:
                builder.AppendLine($"{indent}{name}: {tensor.dtype}{Shapes.Format(tensor.shape)}, norm {Leafwise.Norm(tensor).ToString("G6", CultureInfo.InvariantCulture)}");
                return;
        }
        var type = value.GetType();
        if (IsScalar(type))
        {
            builder.AppendLine($"{indent}{name} = {ScalarText(value)}");
            return;
        }
        if (value is IEnumerable items && ElementType(type) is not null)
        {
            var list = items.Cast<object?>().ToArray();
            builder.AppendLine($"{indent}{name}: {list.Length} item(s)");
            for (var i = 0; i < list.Length; i++) DescribeValue(list[i], $"[{i}]", depth + 1, builder);
            return;
        }
        builder.AppendLine($"{indent}{name}: {type.Name}");
        foreach (var (parameter, field) in Fields(value)) DescribeValue(field, parameter.Name!, depth + 1, builder);
    }
}
