using System.Collections;
using System.Globalization;
using System.Text;
using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Comparison, searching and printing of optimizer states, all over Core's <see cref="Tree"/> (and, in <c>OptimizerStates.Checkpoints.cs</c>, their checkpoints: <see cref="Flatten"/>, <see cref="Restore"/>). Every state of this library is a Core tree: counters and injected hyperparameters are
/// 0-d tensors, moments are <see cref="ParameterTensors"/> named by parameter path, and the remaining fields (a decay kept
/// for a read-out) are configuration.
/// </summary>
public static partial class OptimizerStates
{
    /// <summary>
    /// Value equality of two states: the same records and lists (runtime types) at the same paths, and leaves with the
    /// same path, dtype, shape and bytes (so NaN equals NaN). Configuration fields are not compared (they come from the
    /// transformation).
    /// </summary>
    public static bool Equal(object first, object second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var (a, b) = (Tree.Items(first), Tree.Items(second));
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i].Path != b[i].Path) return false;
            switch (a[i].Value, b[i].Value)
            {
                case (torch.Tensor x, torch.Tensor y):
                    if (x.dtype != y.dtype || !x.shape.SequenceEqual(y.shape)) return false;
                    using (var left = x.contiguous())
                    using (var right = y.contiguous())
                        if (!left.bytes.SequenceEqual(right.bytes)) return false;
                    break;
                case (torch.Tensor, _) or (_, torch.Tensor):
                    return false;
                case var (x, y) when x.GetType() != y.GetType():
                    return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A readable, indented description, one line per item of the tree (<see cref="Tree.Items{T}"/>): a record
    /// (<c>name: Type</c>), a list (<c>name: n item(s)</c>), a 0-d leaf (<c>name = value</c>) and any other leaf (<c>name:
    /// dtype[shape], norm x</c>); names are paths relative to the enclosing record or list, the root is <c>state</c>, and an
    /// inlined list (<see cref="TreeInlineAttribute"/>) has no name.
    /// </summary>
    public static string Describe(object state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var builder = new StringBuilder();
        var open = new Stack<string>();
        foreach (var item in Tree.Items(state))
        {
            while (open.Count > 0 && !Inside(item.Path, open.Peek())) open.Pop();
            var parent = open.Count > 0 ? open.Peek() : null;
            // An inlined list (a chain's stages) sits at its record's own path: it is printed without a name.
            var name = parent is null ? "state" : item.Path.Length == parent.Length ? "" : item.Path[(parent.Length == 0 ? 0 : parent.Length + 1)..];
            var (separator, body) = item.Value switch
            {
                torch.Tensor { Dimensions: 0 } scalar => (" = ", ScalarText(scalar)),
                torch.Tensor tensor => (": ", $"{tensor.dtype}{Shapes.Format(tensor.shape)}, norm {Leafwise.Norm(tensor).ToString("G6", CultureInfo.InvariantCulture)}"),
                IEnumerable list and not ParameterTensors => (": ", $"{list.Cast<object?>().Count()} item(s)"),
                var record => (": ", record.GetType().Name),
            };
            builder.Append(' ', open.Count * 2).AppendLine(name.Length == 0 ? body : name + separator + body);
            if (item.Value is not torch.Tensor) open.Push(item.Path);
        }
        return builder.ToString().TrimEnd();
    }

    /// <summary>Whether <paramref name="path"/> lies inside the record or list at <paramref name="container"/>.</summary>
    static bool Inside(string path, string container) =>
        container.Length == 0 || path == container || path.StartsWith(container + "/", StringComparison.Ordinal);

    static string ScalarText(torch.Tensor scalar) =>
        scalar.is_floating_point()
            ? scalar.item<double>() is var d && BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(-0.0) ? "-0" : d.ToString("R", CultureInfo.InvariantCulture)
            : scalar.dtype == torch.ScalarType.Bool ? scalar.item<bool>().ToString(CultureInfo.InvariantCulture)
            : scalar.to_type(torch.int64).item<long>().ToString(CultureInfo.InvariantCulture);

    /// <summary>The first record of type <typeparamref name="T"/> inside <paramref name="state"/> (itself included, in tree order), or null.</summary>
    public static T? Find<T>(object state) where T : class =>
        state is null ? null : Tree.Items(state).Select(item => item.Value).OfType<T>().FirstOrDefault();

    /// <summary>The tensors of <paramref name="state"/> in tree order (the state's own, not copies): for releasing a state or measuring it.</summary>
    public static IReadOnlyList<torch.Tensor> Tensors(object state) => Tree.Leaves(state);
}
