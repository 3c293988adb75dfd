using System.Collections;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// An optimizer state with every tensor replaced, the structure, record types and scalars kept: the rebuild a sharded
/// optimizer state needs (tensors of other ranks' parameters swapped for placeholders, and back).
/// </summary>
public static class StateTensorMap
{
    /// <summary>
    /// A state like <paramref name="state"/> whose <c>i</c>-th tensor (in the order of <see cref="OptimizerStates.Tensors"/>)
    /// is <c>map(i, tensor)</c>. Records are rebuilt through their constructors, lists as arrays of their element type;
    /// scalars and records without fields are kept. Nothing is disposed; the result holds what <paramref name="map"/> returns.
    /// </summary>
    /// <exception cref="ArgumentException">The state holds a type that is not a state type (see <see cref="OptimizerStates"/>).</exception>
    public static object Map(object state, Func<int, torch.Tensor, torch.Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(map);
        var index = 0;
        object? Rebuild(object? value)
        {
            switch (value)
            {
                case null: return null;
                case torch.Tensor tensor: return map(index++, tensor);
            }
            var type = value.GetType();
            if (OptimizerStates.IsScalar(type)) return value;
            if (value is IEnumerable items)
            {
                var mapped = items.Cast<object?>().Select(Rebuild).ToArray();
                var array = Array.CreateInstance(ElementType(type) ?? typeof(object), mapped.Length);
                for (var i = 0; i < mapped.Length; i++) array.SetValue(mapped[i], i);
                return array;
            }
            var fields = OptimizerStates.Fields(value).ToArray();
            if (fields.Length == 0) return value;
            var values = fields.Select(field => Rebuild(field.Value)).ToArray();
            return OptimizerStates.RecordConstructor(type).Invoke(values);
        }
        return Rebuild(state)!;
    }

    static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericArguments().Length == 1 && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0]
        : null;
}
