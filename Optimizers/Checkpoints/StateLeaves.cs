using System.Collections;
using System.Globalization;
using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// An optimizer state as named leaves, and back into the structure of a fresh <c>Init</c> of the same pipeline: the
/// one checkpoint mechanism for optimizer state. No type names are written, and restoring builds only the record and
/// list types the fresh state itself holds, so the set of types is fixed by the code, never by a file.
/// </summary>
/// <remarks>
/// Names: a record field is its camel-cased name (<c>mu</c>, <c>count</c>); a record whose only field is a list of
/// sub-states (<see cref="ChainState"/>, <see cref="PartitionState"/>) adds no segment of its own, so the stages of a
/// chain are <c>0</c>, <c>1</c>, ...; a list of tensors with one tensor per parameter (same count and shapes, in
/// order) is named by the parameters' paths (<c>0/mu/encoder/weight</c>); any other list by position. Numeric scalars
/// (<see cref="long"/>, <see cref="int"/>, <see cref="double"/>, <see cref="float"/>, <see cref="bool"/>) are 0-d
/// tensors of the matching dtype; other scalars (strings, enums) are configuration taken from the fresh state.
/// </remarks>
public static class StateLeaves
{
    /// <summary>
    /// The leaves of <paramref name="state"/> in order, named after <paramref name="parameters"/> (the flattened
    /// parameters the state was initialised for). The tensors are the state's own; the scalars' tensors are new and
    /// belong to the result.
    /// </summary>
    public static FlatState Flatten(object state, IReadOnlyList<TreeLeaf> parameters)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(parameters);
        var leaves = new List<TreeLeaf>();
        var scalars = new List<torch.Tensor>();
        try
        {
            FlattenValue(state, "", parameters, leaves, scalars);
        }
        catch
        {
            foreach (var scalar in scalars) scalar.Dispose();
            throw;
        }
        return new FlatState(leaves, scalars);
    }

    /// <summary>
    /// The state with the structure, record types and configuration of <paramref name="fresh"/> (an <c>Init</c> of the
    /// pipeline for <paramref name="parameters"/>) whose every tensor and numeric scalar is the leaf of
    /// <paramref name="saved"/> at the same path. The result holds the saved tensors themselves (the 0-d leaves of
    /// scalars are read, not kept: the caller releases them, and the tensors of <paramref name="fresh"/>, which are not
    /// used); nothing is disposed here. Only the record and list types found in <paramref name="fresh"/> are built.
    /// </summary>
    /// <exception cref="TreeMismatchException">
    /// A leaf is missing, has another dtype or shape, or <paramref name="saved"/> has a leaf the fresh state does not:
    /// the message names the first such path and both sides.
    /// </exception>
    public static object Restore(object fresh, IReadOnlyList<TreeLeaf> parameters, IReadOnlyList<TreeLeaf> saved)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(saved);
        var byPath = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var leaf in saved)
            if (!byPath.TryAdd(leaf.Path, leaf.Value))
                throw new TreeMismatchException(leaf.Path, "one leaf", "two leaves of that name");
        var used = new HashSet<string>(StringComparer.Ordinal);
        var restored = RestoreValue(fresh, "", parameters, byPath, used)!;
        if (saved.FirstOrDefault(leaf => !used.Contains(leaf.Path)) is { } extra)
            throw new TreeMismatchException(extra.Path, "no leaf (the pipeline's state has none there)", $"{Describe(extra.Value)}");
        return restored;
    }

    static void FlattenValue(object? value, string path, IReadOnlyList<TreeLeaf> parameters, List<TreeLeaf> leaves, List<torch.Tensor> scalars)
    {
        switch (value)
        {
            case null:
                return;
            case torch.Tensor tensor:
                leaves.Add(new TreeLeaf(path, tensor));
                return;
        }
        if (ScalarTensor(value) is { } scalar)
        {
            scalars.Add(scalar);
            leaves.Add(new TreeLeaf(path, scalar));
            return;
        }
        if (OptimizerStates.IsScalar(value.GetType())) return;
        foreach (var (segment, child) in Children(value, parameters))
            FlattenValue(child, Join(path, segment), parameters, leaves, scalars);
    }

    static object? RestoreValue(object? fresh, string path, IReadOnlyList<TreeLeaf> parameters, Dictionary<string, torch.Tensor> saved, HashSet<string> used)
    {
        switch (fresh)
        {
            case null:
                return null;
            case torch.Tensor tensor:
                return Take(path, tensor.dtype, tensor.shape, saved, used);
        }
        var type = fresh.GetType();
        if (ScalarDtype(type) is { } dtype)
        {
            var value = Take(path, dtype, [], saved, used);
            return ScalarValue(value, type);
        }
        if (OptimizerStates.IsScalar(type)) return fresh;
        var children = Children(fresh, parameters).ToArray();
        var values = children.Select(child => RestoreValue(child.Value, Join(path, child.Segment), parameters, saved, used)).ToArray();
        if (fresh is IEnumerable)
        {
            // The fresh list's own element type: an array of it is what the record's constructor accepted before.
            var array = Array.CreateInstance(ElementType(type) ?? typeof(object), values.Length);
            for (var i = 0; i < values.Length; i++) array.SetValue(values[i], i);
            return array;
        }
        var constructor = OptimizerStates.RecordConstructor(type);
        return constructor.GetParameters().Length == 0 ? fresh : constructor.Invoke(values);
    }

    /// <summary>The path of a child: an empty segment (a record's only list of sub-states) adds nothing.</summary>
    static string Join(string path, string segment) => segment.Length == 0 ? path : TreePath.Join(path, segment);

    static torch.Tensor Take(string path, torch.ScalarType dtype, long[] shape, Dictionary<string, torch.Tensor> saved, HashSet<string> used)
    {
        var expected = $"{dtype}{Shapes.Format(shape)}";
        if (!saved.TryGetValue(path, out var tensor)) throw new TreeMismatchException(path, expected, "no leaf (the checkpoint has none there)");
        if (tensor.dtype != dtype || !tensor.shape.SequenceEqual(shape)) throw new TreeMismatchException(path, expected, Describe(tensor));
        used.Add(path);
        return tensor;
    }

    static string Describe(torch.Tensor tensor) => $"{tensor.dtype}{Shapes.Format(tensor.shape)}";

    /// <summary>The named children of a list or record, in order.</summary>
    static IEnumerable<(string Segment, object? Value)> Children(object node, IReadOnlyList<TreeLeaf> parameters)
    {
        if (node is IEnumerable items)
        {
            var list = items.Cast<object?>().ToArray();
            var perParameter = list.Length == parameters.Count && list.Length > 0
                               && list.Select((item, i) => item is torch.Tensor t && t.shape.SequenceEqual(parameters[i].Value.shape)).All(same => same);
            return list.Select((item, i) => (perParameter ? parameters[i].Path : i.ToString(CultureInfo.InvariantCulture), item));
        }
        var fields = OptimizerStates.Fields(node).ToArray();
        if (fields is [var only] && only.Value is IEnumerable subStates and not torch.Tensor
            && subStates.Cast<object?>().All(item => item is not torch.Tensor))
            return [("", only.Value)];
        return fields.Select(field => (TreePath.FieldSegment(field.Parameter.Name!), field.Value));
    }

    static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))?.GetGenericArguments()[0];

    static torch.ScalarType? ScalarDtype(Type type) =>
        type == typeof(long) ? torch.ScalarType.Int64
        : type == typeof(int) ? torch.ScalarType.Int32
        : type == typeof(double) ? torch.ScalarType.Float64
        : type == typeof(float) ? torch.ScalarType.Float32
        : type == typeof(bool) ? torch.ScalarType.Bool
        : null;

    static torch.Tensor? ScalarTensor(object value) => value switch
    {
        long l => torch.tensor(l),
        int i => torch.tensor(i),
        double d => torch.tensor(d),
        float f => torch.tensor(f),
        bool b => torch.tensor(b),
        _ => null,
    };

    static object ScalarValue(torch.Tensor tensor, Type type) =>
        type == typeof(long) ? tensor.item<long>()
        : type == typeof(int) ? tensor.item<int>()
        : type == typeof(double) ? tensor.item<double>()
        : type == typeof(float) ? tensor.item<float>()
        : tensor.item<bool>();
}
