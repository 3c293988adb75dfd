namespace Functional.Core;

/// <summary>
/// A layer was given an input it cannot take (wrong width, rank, dtype or device). The message names the layer
/// kind, its path in the parameter tree, and what was expected and given.
/// </summary>
/// <remarks>
/// A layer's <c>Apply</c> does not know where its record sits in the model, so it throws with
/// <see cref="Path"/> null; the entry points that know the root tree (<see cref="LayerPaths.Resolve{TParams,TResult}"/>,
/// <see cref="Autodiff.ValueAndGrad{TParams}"/>, <see cref="GradCheck"/>) rethrow it with the path filled in,
/// the original as inner exception.
/// </remarks>
public sealed class LayerInputException : ArgumentException
{
    /// <summary>Creates the error; <paramref name="path"/> is null until an entry point names it.</summary>
    public LayerInputException(string layer, object parameters, string expected, string actual, string? path = null, Exception? inner = null)
        : base(Describe(layer, expected, actual, path), inner)
    {
        Layer = layer;
        Parameters = parameters;
        Expected = expected;
        Actual = actual;
        Path = path;
    }

    /// <summary>The kind of layer, e.g. <c>Linear</c>.</summary>
    public string Layer { get; }

    /// <summary>The parameter record the layer was applied with (used to find its path).</summary>
    public object Parameters { get; }

    /// <summary>What the layer expected, e.g. <c>input of shape [*, 4]</c>.</summary>
    public string Expected { get; }

    /// <summary>What it was given, e.g. <c>Float32[2, 5] on cpu</c>.</summary>
    public string Actual { get; }

    /// <summary>The layer's path in the parameter tree, or null when not yet known.</summary>
    public string? Path { get; }

    /// <summary>The same error with its path named; this one becomes the inner exception.</summary>
    public LayerInputException At(string path) => new(Layer, Parameters, Expected, Actual, path, this);

    static string Describe(string layer, string expected, string actual, string? path) =>
        path is null
            ? $"{layer} (path not known: apply the model through LayerPaths.Resolve or Autodiff.ValueAndGrad with a tree that holds this layer's record): expected {expected}, got {actual}."
            : $"{layer} at '{TreePath.Display(path)}': expected {expected}, got {actual}.";
}
