using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Functional.Inference.Titles;

/// <summary>
/// Incremental UniLM decoding over the two exported graphs (<see cref="UniLmGraphNames"/>), as the training side's
/// <c>UniLmStepper</c>: the prefix graph runs once on the padded articles (the article slots' caches and the prepared
/// article); each step selects the prepared article of every row (again only when the rows' articles change), selects the
/// cache's rows (by article at the first step, by parent after it), and runs the step graph on the appended characters.
/// </summary>
sealed class UniLmOnnxStepper
{
    readonly OnnxModel step;
    readonly Dictionary<string, HostArray> prepared = [];
    readonly string[] cacheNames;
    readonly string[] nextNames;
    Dictionary<string, HostArray> cache = [];
    bool first = true;
    long offset;
    int[] rowArticles = [];
    List<NamedOnnxValue>? rows;

    /// <summary>Runs <paramref name="prefix"/> on <paramref name="articles"/> (ids in [1, vocabulary), suffix-padded with 0 to the longest, at least one slot).</summary>
    public UniLmOnnxStepper(OnnxModel prefix, OnnxModel step, TitleModelManifest manifest, IReadOnlyList<int[]> articles)
    {
        this.step = step;
        cacheNames = UniLmGraphNames.CacheNames(manifest.Blocks);
        nextNames = UniLmGraphNames.NextCacheNames(manifest.Blocks);
        var length = Math.Max(1, articles.Max(a => a.Length));
        var padded = new long[articles.Count * length];
        for (var row = 0; row < articles.Count; row++)
            for (var position = 0; position < articles[row].Length; position++) padded[row * length + position] = articles[row][position];
        using var outputs = prefix.Run([NamedOnnxValue.CreateFromTensor(UniLmGraphNames.Article, new DenseTensor<long>(padded, [articles.Count, length]))]);
        foreach (var output in outputs)
        {
            var value = HostArray.Of(output, prefix.Source);
            if (cacheNames.Contains(output.Name)) cache[output.Name] = value;
            else prepared[output.Name] = value;
        }
        foreach (var name in UniLmGraphNames.ArticleNames.Concat(cacheNames))
            if (!prepared.ContainsKey(name) && !cache.ContainsKey(name))
                throw new InvalidDataException($"{prefix.Source}: has no output '{name}' (not a UniLM prefix graph exported by this toolkit).");
    }

    /// <summary>The next step of the rows extending <paramref name="parents"/> (rows of the previous step) by <paramref name="tokens"/>, row r reading article <paramref name="articleOfRow"/>[r].</summary>
    public HostStep Next(long[] parents, int[] tokens, int[] articleOfRow)
    {
        var selection = first ? articleOfRow.Select(a => (long)a).ToArray() : parents;
        var inputs = new List<NamedOnnxValue>(Rows(articleOfRow))
        {
            NamedOnnxValue.CreateFromTensor(UniLmGraphNames.Previous, new DenseTensor<long>(tokens.Select(t => (long)t).ToArray(), [tokens.Length])),
            NamedOnnxValue.CreateFromTensor(UniLmGraphNames.Offset, new DenseTensor<long>(new[] { offset }, [1])),
        };
        inputs.AddRange(cacheNames.Select(name => cache[name].Select(name, selection)));
        using var outputs = step.Run(inputs);
        var byName = outputs.ToDictionary(o => o.Name);
        cache = cacheNames.Select((name, i) => (name, HostArray.Of(byName[nextNames[i]], step.Source))).ToDictionary(p => p.name, p => p.Item2);
        var logProbabilities = (DenseTensor<float>)byName[UniLmGraphNames.LogProbabilities].Value;
        (first, offset) = (false, offset + 1);
        return new HostStep(logProbabilities.Buffer.ToArray(), logProbabilities.Dimensions[1], ((DenseTensor<long>)byName[UniLmGraphNames.Source].Value).Buffer.ToArray());
    }

    /// <summary>The prepared article of each row, kept while the rows' articles stay the same.</summary>
    List<NamedOnnxValue> Rows(int[] articleOfRow)
    {
        if (rows is not null && articleOfRow.AsSpan().SequenceEqual(rowArticles)) return rows;
        var selection = articleOfRow.Select(a => (long)a).ToArray();
        rows = UniLmGraphNames.ArticleNames.Select(name => prepared[name].Select(name, selection)).ToList();
        rowArticles = articleOfRow;
        return rows;
    }
}
