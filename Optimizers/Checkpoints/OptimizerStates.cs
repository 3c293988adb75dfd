using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Comparison, searching and printing of optimizer states (checkpoints use <see cref="StateLeaves"/>). A state is any value built from immutable records
/// (a public constructor taking all public properties), lists and arrays, fields typed <c>object</c>, tensors,
/// and scalars (numbers, booleans, strings, enums) — every state of this library is.
/// </summary>
public static class OptimizerStates
{
    /// <summary>
    /// Value equality of two states: same record types, same structure, scalars equal bit for bit (so NaN equals
    /// NaN), tensors with the same name, dtype, shape and bytes.
    /// </summary>
    public static bool Equal(object first, object second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (!Skeleton(first).SequenceEqual(Skeleton(second))) return false;
        using var a = StateLeaves.Flatten(first, []);
        using var b = StateLeaves.Flatten(second, []);
        if (a.Leaves.Count != b.Leaves.Count) return false;
        for (var i = 0; i < a.Leaves.Count; i++)
        {
            var (x, y) = (a.Leaves[i].Value, b.Leaves[i].Value);
            if (a.Leaves[i].Path != b.Leaves[i].Path || x.dtype != y.dtype || !x.shape.SequenceEqual(y.shape)) return false;
            using var left = x.contiguous();
            using var right = y.contiguous();
            if (!left.bytes.SequenceEqual(right.bytes)) return false;
        }
        return true;
    }

    /// <summary>The record and list types of a state and its scalars' values, depth first (tensors are compared apart).</summary>
    static IEnumerable<string> Skeleton(object state) =>
        Nodes(state).Where(node => node is not torch.Tensor)
            .Select(node => IsScalar(node.GetType()) ? $"{node.GetType().Name} = {ScalarText(node)}" : node.GetType().FullName ?? node.GetType().Name);

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
    /// The tensors of <paramref name="state"/> in the order of <see cref="StateLeaves.Flatten"/> (the state's own, not copies),
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

    internal static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal);

    internal static ConstructorInfo RecordConstructor(Type type) =>
        type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(c => c.GetParameters().All(p => Property(type, p) is not null))
            .MaxBy(c => c.GetParameters().Length)
        ?? throw new ArgumentException($"{type.FullName} is not a state type: it needs a public constructor taking its public properties (a positional record).");

    static PropertyInfo? Property(Type type, ParameterInfo parameter) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.GetIndexParameters().Length == 0 && string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));

    internal static IEnumerable<(ParameterInfo Parameter, object? Value)> Fields(object record)
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

    static string ScalarText(object value) => value switch
    {
        double d => BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(-0.0) ? "-0" : d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        Enum e => e.ToString(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

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
