using Microsoft.ML.OnnxRuntime;

namespace Functional.Inference.Titles;

/// <summary>
/// Incremental UniLM decoding over the two exported graphs (<see cref="UniLmGraphNames"/>), as the training side's
/// <c>UniLmStepper</c>: the prefix graph runs once on the padded articles (the prepared article and the article slots'
/// cache); each step runs the step graph on the appended characters, naming each hypothesis's article and the cache row
/// it extends (its article at the first step, its parent after it). Everything stays in ONNX Runtime's memory: the
/// prepared article and each step's cache feed the next step as they are, and only the log-probabilities and sources
/// are read out.
/// </summary>
/// <remarks>Owns the prefix's outputs and the last step's: dispose it once.</remarks>
sealed class UniLmOnnxStepper : IDisposable
{
    readonly OnnxModel step;
    readonly Dictionary<string, OrtValue> prepared = [];
    readonly IDisposableReadOnlyCollection<OrtValue> prefixOutputs;
    readonly string[] cacheNames;
    readonly string[] stepOutputs;
    IDisposableReadOnlyCollection<OrtValue>? last;
    long offset;

    /// <summary>Runs <paramref name="prefix"/> on <paramref name="articles"/> (ids in [1, vocabulary), suffix-padded with 0 to the longest, at least one slot).</summary>
    public UniLmOnnxStepper(OnnxModel prefix, OnnxModel step, TitleModelManifest manifest, IReadOnlyList<int[]> articles)
    {
        this.step = step;
        cacheNames = UniLmGraphNames.CacheNames(manifest.Blocks);
        stepOutputs = [UniLmGraphNames.LogProbabilities, UniLmGraphNames.Source, .. UniLmGraphNames.NextCacheNames(manifest.Blocks)];
        var length = Math.Max(1, articles.Max(a => a.Length));
        var padded = new long[articles.Count * length];
        for (var row = 0; row < articles.Count; row++)
            for (var position = 0; position < articles[row].Length; position++) padded[row * length + position] = articles[row][position];
        string[] names = [.. UniLmGraphNames.ArticleNames, .. cacheNames];
        using (var article = OrtValue.CreateTensorValueFromMemory(padded, [articles.Count, length]))
            prefixOutputs = prefix.Run(new Dictionary<string, OrtValue> { [UniLmGraphNames.Article] = article }, names);
        var i = 0;
        foreach (var output in prefixOutputs) prepared[names[i++]] = output;
    }

    /// <summary>The next step of the rows extending <paramref name="parents"/> (rows of the previous step) by <paramref name="tokens"/>, row r reading article <paramref name="articleOfRow"/>[r].</summary>
    public HostStep Next(long[] parents, int[] tokens, int[] articleOfRow)
    {
        var articleRows = articleOfRow.Select(a => (long)a).ToArray();
        var inputs = UniLmGraphNames.ArticleNames.ToDictionary(name => name, name => prepared[name]);
        var cache = last is null ? cacheNames.Select(name => prepared[name]).ToArray() : last.Skip(2).ToArray();
        for (var k = 0; k < cacheNames.Length; k++) inputs[cacheNames[k]] = cache[k];
        using var articleRowsValue = OrtValue.CreateTensorValueFromMemory(articleRows, [articleRows.Length]);
        using var cacheRowsValue = OrtValue.CreateTensorValueFromMemory(last is null ? articleRows : parents, [parents.Length]);
        using var previousValue = OrtValue.CreateTensorValueFromMemory(tokens.Select(t => (long)t).ToArray(), [tokens.Length]);
        using var offsetValue = OrtValue.CreateTensorValueFromMemory(new[] { offset }, [1]);
        inputs[UniLmGraphNames.ArticleRows] = articleRowsValue;
        inputs[UniLmGraphNames.CacheRows] = cacheRowsValue;
        inputs[UniLmGraphNames.Previous] = previousValue;
        inputs[UniLmGraphNames.Offset] = offsetValue;
        var outputs = step.Run(inputs, stepOutputs);
        last?.Dispose();
        last = outputs;
        offset++;
        var logProbabilities = outputs[0];
        var vocabulary = (int)logProbabilities.GetTensorTypeAndShape().Shape[1];
        return new HostStep(logProbabilities.GetTensorDataAsSpan<float>().ToArray(), vocabulary, outputs[1].GetTensorDataAsSpan<long>().ToArray());
    }

    /// <summary>Releases the prefix's outputs and the last step's.</summary>
    public void Dispose()
    {
        last?.Dispose();
        prefixOutputs.Dispose();
    }
}
