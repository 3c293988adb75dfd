using System.Globalization;
using TorchSharp;
using Functional.Models.Titles;

namespace Functional.Models.Word2Vec;

/// <summary>A word and how close it is to a query.</summary>
/// <param name="Word">The neighbour.</param>
/// <param name="Cosine">Cosine similarity to the query, in [-1, 1].</param>
public sealed record Neighbour(string Word, double Cosine);

/// <summary>Word vectors: the words and a float32 matrix [words, dimension] whose rows are their vectors.</summary>
/// <param name="Words">The words, by row.</param>
/// <param name="Vectors">float32 [words, dimension].</param>
public sealed record WordVectors(IReadOnlyList<string> Words, torch.Tensor Vectors)
{
    readonly Dictionary<string, int> rows = Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);

    /// <summary>The row of <paramref name="word"/>, or -1.</summary>
    public int Row(string word) => rows.GetValueOrDefault(word, -1);

    /// <summary>The vectors scaled to unit length (zero vectors stay zero).</summary>
    public torch.Tensor Normalized() => torch.nn.functional.normalize(Vectors, p: 2, dim: 1);

    /// <summary>Cosine similarity of two words, or null when either is unknown.</summary>
    public double? Similarity(string a, string b)
    {
        int i = Row(a), j = Row(b);
        if (i < 0 || j < 0) return null;
        using var scope = torch.NewDisposeScope();
        return torch.nn.functional.cosine_similarity(Vectors[i].unsqueeze(0), Vectors[j].unsqueeze(0)).item<float>();
    }

    /// <summary>The <paramref name="count"/> words closest to <paramref name="word"/> by cosine, the word itself excluded.</summary>
    /// <exception cref="ArgumentException">The word is not in the vocabulary.</exception>
    public IReadOnlyList<Neighbour> Nearest(string word, int count)
    {
        var row = Row(word);
        if (row < 0) throw new ArgumentException($"'{word}' is not in the vocabulary ({Words.Count} words).", nameof(word));
        using var scope = torch.NewDisposeScope();
        var unit = Normalized();
        var cosines = unit.matmul(unit[row]);
        cosines[row] = float.NegativeInfinity;
        var (values, indices) = cosines.topk(Math.Min(count, Words.Count - 1));
        return indices.data<long>().ToArray().Zip(values.data<float>().ToArray(), (i, v) => new Neighbour(Words[(int)i], v)).ToArray();
    }

    /// <summary>Writes the word2vec text format: a line "words dimension", then "word v1 v2 ..." per word.</summary>
    public void Save(string path)
    {
        using var writer = new StreamWriter(path);
        var dimension = (int)Vectors.shape[1];
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Words.Count} {dimension}"));
        var values = Vectors.contiguous().data<float>().ToArray();
        for (var i = 0; i < Words.Count; i++)
            writer.WriteLine(Words[i] + " " + string.Join(' ', values.AsSpan(i * dimension, dimension).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    }

    /// <summary>Reads the word2vec text format.</summary>
    /// <exception cref="InvalidDataException">The header or a line does not match the format.</exception>
    public static WordVectors Load(string path)
    {
        using var reader = new StreamReader(path);
        var header = (reader.ReadLine() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (header.Length != 2 || !int.TryParse(header[0], CultureInfo.InvariantCulture, out var count) || !int.TryParse(header[1], CultureInfo.InvariantCulture, out var dimension))
            throw new InvalidDataException($"{path}: the first line must be '<words> <dimension>'.");
        var words = new string[count];
        var values = new float[count * dimension];
        for (var i = 0; i < count; i++)
        {
            var fields = (reader.ReadLine() ?? throw new InvalidDataException($"{path}: {count} words announced, {i} found."))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != dimension + 1)
                throw new InvalidDataException($"{path} line {i + 2}: expected a word and {dimension} numbers, got {fields.Length} fields.");
            words[i] = fields[0];
            for (var d = 0; d < dimension; d++) values[i * dimension + d] = float.Parse(fields[d + 1], CultureInfo.InvariantCulture);
        }
        return new WordVectors(words, torch.tensor(values, [count, dimension]));
    }
}
