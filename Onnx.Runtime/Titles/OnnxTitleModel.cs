namespace Functional.Inference.Titles;

/// <summary>A title made for a text.</summary>
/// <param name="Title">The title text: an unknown character copied from the article reads as the article's character, any other as '□'.</param>
/// <param name="Decoded">The ids and score behind it.</param>
/// <param name="ArticleCharacters">Characters in the text (white space dropped).</param>
/// <param name="UsedCharacters">Characters the model read: at most <see cref="TitleModelManifest.MaxArticleLength"/>.</param>
public sealed record GeneratedTitle(string Title, DecodedTitle Decoded, int ArticleCharacters, int UsedCharacters);

/// <summary>The title of one article of a stream, or why it has none.</summary>
/// <param name="Index">The article's 0-based position in the input.</param>
/// <param name="Title">The title, or null when the article could not be titled.</param>
/// <param name="Problem">Why there is no title (an empty article), or null.</param>
public sealed record StreamedTitle(int Index, GeneratedTitle? Title, string? Problem);

/// <summary>
/// A title model exported by <c>titles export --format onnx</c>, decoded on ONNX Runtime alone (no libtorch): the folder's
/// <c>encoder.onnx</c>, <c>decoder-step.onnx</c>, <c>vocabulary.txt</c> and <c>title-model.json</c>. Loading refuses a
/// missing file, a damaged graph, a manifest out of range, or a vocabulary other than the one the model was trained with,
/// naming the file. Titles are the training side's (<c>TitleGenerator</c>, <c>BatchedGeneration</c>): the same
/// character mapping, search rules and unknown-character replacement. The manifest's kind picks the stepping: an LSTM
/// (<c>encoder.onnx</c> is its encoder, <c>decoder-step.onnx</c> one LSTM step) or a UniLM (<c>encoder.onnx</c> is its
/// prefix graph over the article, <c>decoder-step.onnx</c> one cached transformer step; <see cref="UniLmGraphNames"/>),
/// both feeding the same search.
/// </summary>
/// <remarks>Owns two ONNX Runtime sessions: dispose it once. Not synchronised: one model per thread.</remarks>
public sealed class OnnxTitleModel : IDisposable
{
    readonly OnnxModel encoder;
    readonly OnnxModel step;

    OnnxTitleModel(TitleModelManifest manifest, TitleVocabulary vocabulary, OnnxModel encoder, OnnxModel step) =>
        (Manifest, Vocabulary, this.encoder, this.step) = (manifest, vocabulary, encoder, step);

    /// <summary>The folder's manifest: shape, limits and decoding defaults.</summary>
    public TitleModelManifest Manifest { get; }

    /// <summary>The model's vocabulary.</summary>
    public TitleVocabulary Vocabulary { get; }

    /// <summary>Loads the exported model in <paramref name="directory"/>, each graph with <paramref name="threads"/> intra-op threads.</summary>
    /// <exception cref="FileNotFoundException">A file of the folder is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is damaged or does not fit the others; the message names it.</exception>
    public static OnnxTitleModel Load(string directory, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var files = new[] { TitleModelManifest.FileName, TitleModelManifest.VocabularyFile, TitleModelManifest.EncoderFile, TitleModelManifest.DecoderStepFile }
            .Select(name => Path.Combine(directory, name)).ToArray();
        foreach (var file in files)
            if (!File.Exists(file))
                throw new FileNotFoundException($"No exported title model at {directory}: {file} is missing. Export one with 'titles export --model <trained folder> --format onnx --out {directory}'.", file);
        var manifest = TitleModelManifest.Load(files[0]);
        var vocabulary = TitleVocabulary.Load(files[1]);
        if (vocabulary.Sha256 != manifest.VocabularySha256)
            throw new InvalidDataException($"{files[1]}: has SHA-256 {vocabulary.Sha256} ({vocabulary.Size} ids), but the model was trained with a vocabulary of SHA-256 {manifest.VocabularySha256} "
                                           + $"({files[0]}): the vocabulary file was edited, damaged or belongs to another model. Put back the vocabulary.txt exported with this model.");
        if (vocabulary.Size != manifest.VocabularySize)
            throw new InvalidDataException($"{files[1]}: has {vocabulary.Size} ids, but {files[0]} says {manifest.VocabularySize}.");
        var encoder = OnnxModel.Load(files[2], threads);
        OnnxModel? step = null;
        try
        {
            step = OnnxModel.Load(files[3], threads);
            if (manifest.Kind == TitleModelManifest.UniLmKind) ExpectUniLm(encoder, step, manifest, files[0]);
            else ExpectLstm(encoder, step, manifest, files[0]);
            return new OnnxTitleModel(manifest, vocabulary, encoder, step);
        }
        catch
        {
            encoder.Dispose();
            step?.Dispose();
            throw;
        }
    }

    static void ExpectLstm(OnnxModel encoder, OnnxModel step, TitleModelManifest manifest, string manifestFile)
    {
        Expect(encoder, ["article"], ["keys", "keyBias", "values", "constant", "outputBias", "ids", "known"]);
        Expect(step, ["keys", "keyBias", "values", "constant", "outputBias", "ids", "known", "previous", "hidden", "cell"], ["logProbabilities", "nextHidden", "nextCell", "source"]);
        var hidden = step.Inputs["hidden"].Dimensions;
        if (hidden.Length != 3 || hidden[0] != manifest.DecoderLayers || hidden[2] != manifest.DecoderHidden)
            throw new InvalidDataException($"{step.Source}: input 'hidden' is [{string.Join(", ", hidden)}], but {manifestFile} says [{manifest.DecoderLayers}, -1, {manifest.DecoderHidden}].");
        var outputBias = step.Inputs["outputBias"].Dimensions;
        if (outputBias.Length != 2 || outputBias[1] != manifest.VocabularySize)
            throw new InvalidDataException($"{step.Source}: input 'outputBias' is [{string.Join(", ", outputBias)}], but the vocabulary has {manifest.VocabularySize} ids.");
    }

    static void ExpectUniLm(OnnxModel prefix, OnnxModel step, TitleModelManifest manifest, string manifestFile)
    {
        var cache = UniLmGraphNames.CacheNames(manifest.Blocks);
        Expect(prefix, [UniLmGraphNames.Article], [.. UniLmGraphNames.ArticleNames, .. cache]);
        Expect(step, [.. UniLmGraphNames.ArticleNames, .. cache, UniLmGraphNames.ArticleRows, UniLmGraphNames.CacheRows, UniLmGraphNames.Previous, UniLmGraphNames.Offset],
            [UniLmGraphNames.LogProbabilities, UniLmGraphNames.Source, .. UniLmGraphNames.NextCacheNames(manifest.Blocks)]);
        var keys = step.Inputs[UniLmGraphNames.CacheKeys(0)].Dimensions;
        if (keys.Length != 4 || keys[1] != manifest.Heads || keys[3] != manifest.Width / manifest.Heads)
            throw new InvalidDataException($"{step.Source}: input '{UniLmGraphNames.CacheKeys(0)}' is [{string.Join(", ", keys)}], but {manifestFile} says [-1, {manifest.Heads}, -1, {manifest.Width / manifest.Heads}].");
        var memory = step.Inputs["memory"].Dimensions;
        if (memory.Length != 3 || memory[2] != manifest.Width)
            throw new InvalidDataException($"{step.Source}: input 'memory' is [{string.Join(", ", memory)}], but {manifestFile} says width {manifest.Width}.");
        var prior = step.Inputs["prior"].Dimensions;
        if (prior.Length != 2 || prior[1] != manifest.VocabularySize)
            throw new InvalidDataException($"{step.Source}: input 'prior' is [{string.Join(", ", prior)}], but the vocabulary has {manifest.VocabularySize} ids.");
    }

    static void Expect(OnnxModel model, string[] inputs, string[] outputs)
    {
        if (!inputs.ToHashSet().SetEquals(model.Inputs.Keys) || !outputs.ToHashSet().SetEquals(model.Outputs))
            throw new InvalidDataException($"{model.Source}: takes ({string.Join(", ", model.Inputs.Keys)}) and gives ({string.Join(", ", model.Outputs)}), "
                                           + $"not ({string.Join(", ", inputs)}) and ({string.Join(", ", outputs)}): not this graph of an exported title model.");
    }

    /// <summary>The title of <paramref name="text"/> (cut to <see cref="TitleModelManifest.MaxArticleLength"/> characters; unknown characters read as unknown).</summary>
    /// <exception cref="ArgumentException">The text is empty or white space only.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The options are out of the manifest's limits.</exception>
    public GeneratedTitle Generate(string text, TitleDecodingOptions options)
    {
        var ids = Encode(text);
        var decoded = DecodeMany([ids.Take(Manifest.MaxArticleLength).ToArray()], options)[0];
        return new GeneratedTitle(Text(decoded, text), decoded, ids.Length, Math.Min(ids.Length, Manifest.MaxArticleLength));
    }

    /// <summary>
    /// The title of each of <paramref name="texts"/>, in input order, lazily: <paramref name="articlesPerBatch"/> articles
    /// are decoded as one search and yielded before the next batch is read; an empty text yields a problem, not an error.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch is below 1, batch × width above <see cref="TitleModelManifest.MaxBeamsPerStep"/>, or the options are out of range.</exception>
    public IEnumerable<StreamedTitle> GenerateMany(IEnumerable<string> texts, TitleDecodingOptions options, int articlesPerBatch)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options.Validate(Manifest);
        if (articlesPerBatch < 1) throw new ArgumentOutOfRangeException(nameof(articlesPerBatch), articlesPerBatch, "At least one article per batch.");
        if ((long)articlesPerBatch * options.Width > Manifest.MaxBeamsPerStep)
            throw new ArgumentOutOfRangeException(nameof(articlesPerBatch), articlesPerBatch, $"{articlesPerBatch} articles of {options.Width} beams are more than the {Manifest.MaxBeamsPerStep} beams that may step together.");
        return Stream(texts, options, articlesPerBatch);
    }

    IEnumerable<StreamedTitle> Stream(IEnumerable<string> texts, TitleDecodingOptions options, int articlesPerBatch)
    {
        var done = 0;
        foreach (var batch in texts.Chunk(articlesPerBatch))
        {
            var encoded = batch.Select(text =>
            {
                try { return Encode(text) is var all ? (Ids: all.Take(Manifest.MaxArticleLength).ToArray(), Length: all.Length, Problem: (string?)null) : default; }
                catch (ArgumentException error) { return (Ids: Array.Empty<int>(), Length: 0, Problem: error.Message); }
            }).ToArray();
            var valid = encoded.Where(e => e.Problem is null).Select(e => e.Ids).ToArray();
            var decoded = valid.Length == 0 ? [] : DecodeMany(valid, options);
            for (int i = 0, next = 0; i < batch.Length; i++)
            {
                var (_, length, problem) = encoded[i];
                if (problem is not null)
                {
                    yield return new StreamedTitle(done + i, null, problem);
                    continue;
                }
                var title = decoded[next++];
                yield return new StreamedTitle(done + i, new GeneratedTitle(Text(title, batch[i]), title, length, Math.Min(length, Manifest.MaxArticleLength)), null);
            }
            done += batch.Length;
        }
    }

    /// <summary>
    /// Beam search (width 1: greedy) over several articles at once (ids in [1, vocabulary), each already cut to
    /// <see cref="TitleModelManifest.MaxArticleLength"/>; may be empty), as the training side's <c>BeamSearch.DecodeMany</c>.
    /// </summary>
    /// <exception cref="ArgumentException">There are no articles, or an id is outside the vocabulary.</exception>
    public DecodedTitle[] DecodeMany(IReadOnlyList<int[]> articles, TitleDecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(articles);
        options.Validate(Manifest);
        if (articles.Count == 0) throw new ArgumentException("Give at least one article.", nameof(articles));
        foreach (var article in articles)
            if (Array.FindIndex(article, id => id <= TitleVocabulary.Padding || id >= Vocabulary.Size) is var at and >= 0)
                throw new ArgumentException($"Article ids must be in [1, {Vocabulary.Size}) (the model's vocabulary), got {article[at]} at position {at}.", nameof(articles));
        var allowed = options.ArticleCharactersOnly ? TitleSearch.ArticleCharacters(articles, Vocabulary.Size) : null;
        if (Manifest.Kind == TitleModelManifest.UniLmKind)
        {
            using var stepper = new UniLmOnnxStepper(encoder, step, Manifest, articles);
            return TitleSearch.Run(stepper.Next, articles.Count, options, allowed);
        }
        return TitleSearch.Run(new TitleStepper(encoder, step, Manifest, articles).Next, articles.Count, options, allowed);
    }

    /// <summary>The article's ids under the model's vocabulary, uncut.</summary>
    /// <exception cref="ArgumentException">The text is null, empty or white space only.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Vocabulary.Encode(text);
        return ids.Length > 0 ? ids : throw new ArgumentException("The article is empty (no characters besides white space): there is nothing to title.", nameof(text));
    }

    /// <summary>The text of <paramref name="title"/> decoded from <paramref name="article"/>: a copied unknown reads as the article's character.</summary>
    public string Text(DecodedTitle title, string article)
    {
        ArgumentNullException.ThrowIfNull(title);
        return Vocabulary.Decode(title.Ids, title.UnknownSources, TitleVocabulary.Characters(article).Take(Manifest.MaxArticleLength).ToArray());
    }

    /// <summary>Disposes both sessions.</summary>
    public void Dispose()
    {
        encoder.Dispose();
        step.Dispose();
    }
}
