using TorchSharp;
using Functional.Models.Text;

namespace Functional.Models.Titles;

/// <summary>
/// A data-derived starting point for the copy prior, so that training does not spend its first steps learning
/// character frequencies and that characters of the article are likely in its title.
/// </summary>
public static class CopyPriorInit
{
    /// <summary>
    /// The scale and bias for which prior / 2 (the prior's share of the logits) is, per character c, the log of its
    /// smoothed frequency among title positions (the end included) of the pairs whose article lacks c (bias) and the
    /// log ratio of that frequency when the article has c (scale): bias = 2 log p(c | c absent), scale = 2 log
    /// (p(c | c present) / p(c | c absent)), with add-<paramref name="smoothing"/> counts. Deterministic; float32 on
    /// <paramref name="device"/>.
    /// </summary>
    /// <exception cref="ArgumentException">There are no pairs, or an id is outside [0, vocabulary).</exception>
    public static CopyPriorParams FromPairs(IReadOnlyList<EncodedTitlePair> pairs, int vocabulary, double smoothing, torch.Device device)
    {
        if (pairs.Count == 0) throw new ArgumentException("The copy prior needs at least one pair.", nameof(pairs));
        var presentHits = new double[vocabulary];
        var presentPositions = new double[vocabulary];
        var totalHits = new double[vocabulary];
        double totalPositions = 0;
        foreach (var pair in pairs)
        {
            var positions = pair.Title.Length + 1;
            totalPositions += positions;
            var present = pair.Article.Where(id => id != CharacterVocabulary.Padding).ToHashSet();
            foreach (var id in present) presentPositions[Check(id, vocabulary)] += positions;
            foreach (var id in pair.Title.Append(CharacterVocabulary.End))
            {
                totalHits[Check(id, vocabulary)]++;
                if (present.Contains(id)) presentHits[id]++;
            }
        }
        var scale = new float[vocabulary];
        var bias = new float[vocabulary];
        for (var c = 0; c < vocabulary; c++)
        {
            var absent = Math.Log((totalHits[c] - presentHits[c] + smoothing) / (totalPositions - presentPositions[c] + smoothing * vocabulary));
            var withIt = Math.Log((presentHits[c] + smoothing) / (presentPositions[c] + smoothing * vocabulary));
            bias[c] = (float)(2 * absent);
            scale[c] = (float)(2 * (withIt - absent));
        }
        return new CopyPriorParams(torch.tensor(scale, device: device), torch.tensor(bias, device: device));
    }

    static int Check(int id, int vocabulary) =>
        id >= 0 && id < vocabulary ? id : throw new ArgumentException($"Id {id} is outside the vocabulary [0, {vocabulary}).");
}
