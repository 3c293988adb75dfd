using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Functional.Inference.Titles;

/// <summary>One step's result on the host: log-probabilities [rows, vocabulary] row-major and, per row, the most attended unknown article position (or -1).</summary>
/// <param name="LogProbabilities">[rows × vocabulary], row-major.</param>
/// <param name="Vocabulary">Columns of <paramref name="LogProbabilities"/>.</param>
/// <param name="UnknownSources">Per row, the article position an Unknown written at this step is copied from, or -1.</param>
sealed record HostStep(float[] LogProbabilities, int Vocabulary, long[] UnknownSources);

/// <summary>
/// Incremental decoding over the two exported graphs: the encoder runs once on the padded articles; each step selects
/// the prepared article of every row (again only when the rows' articles change), reorders the cached LSTM state by
/// parent, and runs the decoder step. The same stepping as the training side's cached stepper.
/// </summary>
sealed class TitleStepper
{
    static readonly string[] ArticleNames = ["keys", "keyBias", "values", "constant", "outputBias", "ids", "known"];

    readonly OnnxModel step;
    readonly TitleModelManifest manifest;
    readonly Dictionary<string, Array> prepared = [];
    readonly Dictionary<string, int[]> dims = [];
    readonly int count;
    float[]? hidden;
    float[]? cell;
    int[] rowArticles = [];
    List<NamedOnnxValue>? rows;

    /// <summary>Encodes <paramref name="articles"/> (ids in [1, vocabulary), suffix-padded as one batch) with <paramref name="encoder"/>.</summary>
    public TitleStepper(OnnxModel encoder, OnnxModel step, TitleModelManifest manifest, IReadOnlyList<int[]> articles)
    {
        (this.step, this.manifest, count) = (step, manifest, articles.Count);
        var length = Math.Max(1, articles.Max(a => a.Length));
        var padded = new long[articles.Count * length];
        for (var row = 0; row < articles.Count; row++)
            for (var position = 0; position < articles[row].Length; position++) padded[row * length + position] = articles[row][position];
        using var outputs = encoder.Run([NamedOnnxValue.CreateFromTensor("article", new DenseTensor<long>(padded, [articles.Count, length]))]);
        foreach (var output in outputs)
        {
            (prepared[output.Name], dims[output.Name]) = output.Value switch
            {
                DenseTensor<float> t => ((Array)t.Buffer.ToArray(), t.Dimensions.ToArray()),
                DenseTensor<long> t => (t.Buffer.ToArray(), t.Dimensions.ToArray()),
                DenseTensor<bool> t => (t.Buffer.ToArray(), t.Dimensions.ToArray()),
                _ => throw new InvalidDataException($"{encoder.Source}: output '{output.Name}' is not a float, long or bool tensor."),
            };
        }
        foreach (var name in ArticleNames)
            if (!prepared.ContainsKey(name)) throw new InvalidDataException($"{encoder.Source}: has no output '{name}' (not a title encoder exported by this toolkit).");
    }

    /// <summary>The next step of the rows extending <paramref name="parents"/> (rows of the previous step) by <paramref name="tokens"/>, row r reading article <paramref name="articleOfRow"/>[r].</summary>
    public HostStep Next(long[] parents, int[] tokens, int[] articleOfRow)
    {
        var rowCount = parents.Length;
        var layers = manifest.DecoderLayers;
        var width = manifest.DecoderHidden;
        var nextHidden = new float[layers * rowCount * width];
        var nextCell = new float[layers * rowCount * width];
        if (hidden is not null && cell is not null)
        {
            var previousRows = hidden.Length / (layers * width);
            for (var k = 0; k < layers; k++)
                for (var r = 0; r < rowCount; r++)
                {
                    Array.Copy(hidden, (k * previousRows + parents[r]) * width, nextHidden, (k * rowCount + r) * width, width);
                    Array.Copy(cell, (k * previousRows + parents[r]) * width, nextCell, (k * rowCount + r) * width, width);
                }
        }
        var inputs = new List<NamedOnnxValue>(Rows(articleOfRow))
        {
            NamedOnnxValue.CreateFromTensor("previous", new DenseTensor<long>(tokens.Select(t => (long)t).ToArray(), [rowCount])),
            NamedOnnxValue.CreateFromTensor("hidden", new DenseTensor<float>(nextHidden, [layers, rowCount, width])),
            NamedOnnxValue.CreateFromTensor("cell", new DenseTensor<float>(nextCell, [layers, rowCount, width])),
        };
        using var outputs = step.Run(inputs);
        var byName = outputs.ToDictionary(o => o.Name, o => o.Value);
        var logProbabilities = (DenseTensor<float>)byName["logProbabilities"];
        hidden = ((DenseTensor<float>)byName["nextHidden"]).Buffer.ToArray();
        cell = ((DenseTensor<float>)byName["nextCell"]).Buffer.ToArray();
        return new HostStep(logProbabilities.Buffer.ToArray(), logProbabilities.Dimensions[1], ((DenseTensor<long>)byName["source"]).Buffer.ToArray());
    }

    /// <summary>The prepared article of each row, kept while the rows' articles stay the same.</summary>
    List<NamedOnnxValue> Rows(int[] articleOfRow)
    {
        if (rows is not null && articleOfRow.AsSpan().SequenceEqual(rowArticles)) return rows;
        rows = ArticleNames.Select(name => prepared[name] switch
        {
            float[] values => NamedOnnxValue.CreateFromTensor(name, Select(values, dims[name], articleOfRow)),
            long[] values => NamedOnnxValue.CreateFromTensor(name, Select(values, dims[name], articleOfRow)),
            bool[] values => NamedOnnxValue.CreateFromTensor(name, Select(values, dims[name], articleOfRow)),
            _ => throw new InvalidOperationException($"Prepared article input '{name}' has an unexpected element type."),
        }).ToList();
        rowArticles = articleOfRow;
        return rows;
    }

    /// <summary>Rows <paramref name="articleOfRow"/> of <paramref name="values"/> (first dimension: the <see cref="count"/> articles).</summary>
    DenseTensor<T> Select<T>(T[] values, int[] dimensions, int[] articleOfRow)
    {
        var size = values.Length / count;
        var selected = new T[articleOfRow.Length * size];
        for (var r = 0; r < articleOfRow.Length; r++) Array.Copy(values, articleOfRow[r] * size, selected, r * size, size);
        return new DenseTensor<T>(selected, [articleOfRow.Length, .. dimensions[1..]]);
    }
}
