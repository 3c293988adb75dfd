namespace Functional.Core;

/// <summary>Names the tree path of a layer that refuses its input.</summary>
public static class LayerPaths
{
    /// <summary>
    /// Returns <paramref name="apply"/>(<paramref name="root"/>); a <see cref="LayerInputException"/> thrown
    /// inside is rethrown with the path of the offending layer's record in <paramref name="root"/> (and left as it
    /// is when that record is not part of <paramref name="root"/>).
    /// </summary>
    public static TResult Resolve<TParams, TResult>(TParams root, Func<TParams, TResult> apply)
    {
        try
        {
            return apply(root);
        }
        catch (LayerInputException error) when (error.Path is null && Tree.PathOf(root, error.Parameters) is not null)
        {
            throw error.At(Tree.PathOf(root, error.Parameters)!);
        }
    }
}
