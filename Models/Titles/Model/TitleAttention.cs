using Functional.Core;
using TorchSharp;
using Functional.Models.Text;

namespace Functional.Models.Titles;

/// <summary>The attention weights of the decoder over an article, captured from a teacher-forced pass.</summary>
public static class TitleAttention
{
    /// <summary>
    /// [title characters + 1, article characters]: row t is the attention of the step that produced title character t
    /// (the last row: the step that produced the end), over the real article characters; each row sums to 1 (an empty
    /// article gives zero columns).
    /// </summary>
    public static double[,] Weights(TitleModelParams parameters, int[] article, int[] title)
    {
        using var scope = torch.NewDisposeScope();
        using var noGradient = torch.no_grad();
        using var capture = Capture.Of(TitleDecoder.AttentionCapture);
        var encoded = TitleGeneration.Encode(parameters, [article]);
        var device = parameters.Embedding.Weight.device;
        var input = torch.tensor(new long[] { CharacterVocabulary.Start }.Concat(title.Select(id => (long)id)).ToArray(), [1, title.Length + 1], device: device);
        using var generator = new torch.Generator(0, device);
        TitleDecoder.Apply(parameters, encoded, input, false, 0, generator, capture);
        var weights = capture[TitleDecoder.AttentionCapture][0].to(torch.float64).cpu();
        var result = new double[title.Length + 1, article.Length];
        var values = weights.data<double>().ToArray();
        var columns = (int)weights.shape[1];
        for (var row = 0; row <= title.Length; row++)
            for (var column = 0; column < article.Length; column++)
                result[row, column] = values[row * columns + column];
        return result;
    }
}
