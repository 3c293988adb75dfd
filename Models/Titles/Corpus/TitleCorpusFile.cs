using System.Text.Json;

namespace Functional.Models.Titles;

/// <summary>Reads one corpus file (TSV or JSON lines) into pairs, checking every line.</summary>
internal static class TitleCorpusFile
{
    /// <summary>The pairs of <paramref name="path"/> in file order and what was read.</summary>
    /// <exception cref="InvalidDataException">A line is malformed; the message names the file, the line and what is wrong.</exception>
    public static (IReadOnlyList<TitlePair> Pairs, TitleCorpusFileReport Report) Read(string path, TitleCorpusOptions options)
    {
        var format = options.Format == TitleCorpusFormat.Auto ? ByExtension(path) : options.Format;
        var pairs = new List<TitlePair>();
        var seen = new HashSet<TitlePair>();
        int lines = 0, blank = 0, emptyContents = 0, duplicates = 0;
        foreach (var (text, number) in CorpusLines.Read(path, options.MaxLineBytes))
        {
            lines = number;
            if (string.IsNullOrWhiteSpace(text))
            {
                blank++;
                continue;
            }
            if (format == TitleCorpusFormat.Auto) format = text.TrimStart().StartsWith('{') ? TitleCorpusFormat.JsonLines : TitleCorpusFormat.Tsv;
            var (title, content) = format == TitleCorpusFormat.Tsv ? Tsv(path, number, text) : Json(path, number, text, options);
            if (title.Trim().Length == 0)
                throw new InvalidDataException($"{path} line {number}: the title is empty. Every pair needs a title (remove the line or write one).");
            if (content.Trim().Length == 0)
            {
                emptyContents++;
                continue;
            }
            var pair = new TitlePair(title.Trim(), content.Trim());
            if (!seen.Add(pair)) duplicates++;
            pairs.Add(pair);
        }
        if (format == TitleCorpusFormat.Auto) format = TitleCorpusFormat.Tsv;
        return (pairs, new TitleCorpusFileReport(path, format, lines, pairs.Count, blank, emptyContents, duplicates, null));
    }

    static TitleCorpusFormat ByExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".json" or ".ndjson" => TitleCorpusFormat.JsonLines,
        ".tsv" or ".txt" => TitleCorpusFormat.Tsv,
        _ => TitleCorpusFormat.Auto,
    };

    static (string Title, string Content) Tsv(string path, int number, string text)
    {
        var tab = text.IndexOf('\t', StringComparison.Ordinal);
        if (tab < 0)
            throw new InvalidDataException($"{path} line {number}: no tab. A TSV line is 'title<TAB>content'" +
                                           (text.TrimStart().StartsWith('{') ? "; for JSON lines use a .jsonl file or --format jsonl." : "."));
        var tabs = text.Count(c => c == '\t');
        if (tabs > 1)
            throw new InvalidDataException($"{path} line {number}: {tabs} tabs. A TSV line is 'title<TAB>content' with exactly one tab (replace tabs inside the article by spaces).");
        return (text[..tab], text[(tab + 1)..]);
    }

    static (string Title, string Content) Json(string path, int number, string text, TitleCorpusOptions options)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(text); }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{path} line {number}: not valid JSON ({error.Message}). A JSON-lines corpus has one object a line.", error);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path} line {number}: a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, expected an object with '{options.TitleField}' and '{options.ContentField}'.");
            return (Field(path, number, document.RootElement, options.TitleField, "--title-field"), Field(path, number, document.RootElement, options.ContentField, "--content-field"));
        }
    }

    static string Field(string path, int number, JsonElement line, string name, string flag)
    {
        if (!line.TryGetProperty(name, out var value))
        {
            var names = string.Join(", ", line.EnumerateObject().Select(p => $"'{p.Name}'"));
            throw new InvalidDataException($"{path} line {number}: no '{name}' field (the object has {(names.Length == 0 ? "no fields" : names)}); name the field with {flag}.");
        }
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"{path} line {number}: '{name}' is a JSON {value.ValueKind.ToString().ToLowerInvariant()}, expected a string.");
    }
}
