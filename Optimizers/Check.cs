using Functional.Core;
using TorchSharp;

namespace Functional.Optimizers;

/// <summary>
/// Validation shared by the stages: hyper-parameters (throwing the first <see cref="Bounds"/> problem), states, leaf counts.
/// </summary>
internal static class Check
{
    public static double NonNegative(double value, string name) => Problems.OrThrow(value, Bounds.NonNegative(name, value));

    public static double Positive(double value, string name) => Problems.OrThrow(value, Bounds.Positive(name, value));

    public static double Finite(double value, string name) => Problems.OrThrow(value, Bounds.Finite(name, value));

    /// <summary>A decay rate in [0, 1).</summary>
    public static double Decay(double value, string name) => Problems.OrThrow(value, Bounds.Decay(name, value));

    /// <summary>An interpolation weight in [0, 1].</summary>
    public static double Fraction(double value, string name) => Problems.OrThrow(value, Bounds.Fraction(name, value));

    public static int AtLeastOne(int value, string name) => Problems.OrThrow(value, Bounds.AtLeastOne(name, value));

    public static long NonNegative(long value, string name) => Problems.OrThrow(value, Bounds.NonNegative(name, value));

    public static T NotNull<T>(T? value, string name) where T : class => value ?? throw new ArgumentNullException(name);

    /// <summary>The state of <paramref name="owner"/>, or an error naming what was given instead.</summary>
    public static T State<T>(object state, string owner) =>
        state is T typed
            ? typed
            : throw new ArgumentException($"{owner} expects a {typeof(T).Name}, got {state?.GetType().Name ?? "null"}: pass the state its own Init returned.", nameof(state));

    /// <summary>Throws Core's mismatch error when a state list does not have one tensor per gradient leaf.</summary>
    public static void SameCount(IReadOnlyList<TreeLeaf> gradients, IReadOnlyList<torch.Tensor> state, string owner)
    {
        if (gradients.Count != state.Count)
            throw new TreeMismatchException(gradients.Count > state.Count ? gradients[state.Count].Path : "",
                $"{gradients.Count} leaves (the gradients)", $"{state.Count} in the state of {owner}");
    }

    /// <summary>Throws Core's mismatch error when two leaf lists differ in paths or shapes.</summary>
    public static void SameLeaves(IReadOnlyList<TreeLeaf> expected, IReadOnlyList<TreeLeaf> actual) => Tree.CheckSameLeaves(expected, actual);
}
