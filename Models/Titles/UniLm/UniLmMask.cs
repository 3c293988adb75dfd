using Functional.Core;
using TorchSharp;

namespace Functional.Models.Titles.UniLm;

/// <summary>
/// The layout of "article [SEP] title" in one sequence: the article padded to its batch's longest, then the decoder
/// input (start, which is the separator, and the title so far) padded to its batch's longest. Padding may thus sit
/// between the segments; rotary positions count real characters only, so it changes no real position.
/// </summary>
public static class UniLmMask
{
    /// <summary>
    /// Bool [batch, L, L] with L = articleLength + titleLength (true = may attend), the prefix-LM (UniLM) mask of the two
    /// segments with their padding: an article position sees every real article position (both ways) and no title
    /// position; a title position sees every real article position and the real title positions up to itself; a padded
    /// position sees nothing and is seen by nothing. Pure.
    /// </summary>
    /// <exception cref="ArgumentException">The masks are not Bool [batch, length] of one batch.</exception>
    public static torch.Tensor Allowed(torch.Tensor articleMask, torch.Tensor titleMask)
    {
        Check(articleMask, titleMask);
        using var scope = torch.NewDisposeScope();
        var articleLength = articleMask.shape[1];
        var length = articleLength + titleMask.shape[1];
        var device = articleMask.device;
        var positions = Ranges.Of(length, device);
        using var boundary = articleLength.ToScalar();
        var articleKey = positions.lt(boundary).unsqueeze(0);                 // [1, key]
        var titleQuery = positions.ge(boundary).unsqueeze(1);                 // [query, 1]
        var past = positions.unsqueeze(0).le(positions.unsqueeze(1));          // [query, key]
        var sees = articleKey.logical_or(titleQuery.logical_and(past)).unsqueeze(0);
        var real = torch.cat([articleMask, titleMask], 1);
        return sees.logical_and(real.unsqueeze(1)).logical_and(real.unsqueeze(2)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Int64 [batch, L]: the rotary position of every slot. Article slot j is at j; title slot k at a + k, where a is
    /// the row's number of real article characters (padded slots get positions too, which nothing reads). Pure.
    /// </summary>
    public static torch.Tensor Positions(torch.Tensor articleMask, torch.Tensor titleMask)
    {
        Check(articleMask, titleMask);
        using var scope = torch.NewDisposeScope();
        var device = articleMask.device;
        var batch = articleMask.shape[0];
        var article = Ranges.Of(articleMask.shape[1], device).unsqueeze(0).expand(batch, -1);
        var title = ArticleLengths(articleMask).unsqueeze(1).add(Ranges.Of(titleMask.shape[1], device).unsqueeze(0), Scalars.One);
        return torch.cat([article, title], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Int64 [batch]: the real characters of each article.</summary>
    public static torch.Tensor ArticleLengths(torch.Tensor articleMask) => articleMask.sum(1, false, torch.int64);

    static void Check(torch.Tensor articleMask, torch.Tensor titleMask)
    {
        if (articleMask.dtype != torch.@bool || titleMask.dtype != torch.@bool || articleMask.dim() != 2 || titleMask.dim() != 2 || articleMask.shape[0] != titleMask.shape[0])
            throw new ArgumentException($"UniLmMask needs Bool masks [batch, length] of one batch for the article and the title, got {Shapes.Describe(articleMask)} and {Shapes.Describe(titleMask)}.");
    }
}
