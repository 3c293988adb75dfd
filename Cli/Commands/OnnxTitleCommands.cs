using System.CommandLine;
using Functional.Inference.Titles;
using Functional.Models.Titles;
using Functional.Onnx;

namespace Functional.Cli;

/// <summary>
/// The ONNX side of the <c>titles</c> commands: <c>titles export --format onnx</c> and <c>titles generate --runtime onnx</c>,
/// which decodes with ONNX Runtime only (no libtorch is loaded on that path).
/// </summary>
static class OnnxTitleCommands
{
    /// <summary>The runtimes <c>titles generate</c> decodes with.</summary>
    public static readonly string[] Runtimes = ["libtorch", "onnx"];

    /// <summary><c>titles export</c>: a trained title model (LSTM or UniLM) as a folder of ONNX graphs, vocabulary and manifest.</summary>
    public static Command Export(CommandContext context)
    {
        var model = Flags.InputFolder("--model", TitleTrainingOptions.Default.OutDirectory, "the trained model's folder (the --out of titles train)");
        var format = Flags.Choice("--format", "onnx", "the export format", "onnx");
        var output = Flags.Folder("--out", TitleTrainingOptions.Default.OutDirectory + "-onnx", "the folder written: a self-contained model for titles generate --runtime onnx");
        var command = new Command("export", $"export a trained title model (LSTM or UniLM) for ONNX Runtime: {TitleModelManifest.EncoderFile}, {TitleModelManifest.DecoderStepFile}, "
                                            + $"{TitleModelManifest.VocabularyFile} and {TitleModelManifest.FileName} (decode it with titles generate --runtime onnx)") { model, format, output };
        Flags.CheckPaths(command, model, output);
        command.SetAction(parsed =>
        {
            var source = parsed.GetValue(model)!;
            var target = parsed.GetValue(output)!;
            var trained = TitleModelFolder.Load(source, TorchSharp.torch.CPU);
            var written = TitleModelExport.Write(trained, target);
            context.Output.WriteLine($"wrote {string.Join(", ", written.Select(Path.GetFileName))} to {target} ({written.Sum(f => new FileInfo(f).Length) / 1e6:F1} MB)");
            return Program.Success;
        });
        return command;
    }

    /// <summary>
    /// <c>titles generate --runtime onnx</c>: the title of <paramref name="text"/>, or of each line of <paramref name="file"/>
    /// in batches, from the exported folder <paramref name="folder"/>, on ONNX Runtime alone.
    /// </summary>
    public static int Generate(CommandContext context, string folder, string? text, string? file, BeamSearchOptions beam, int batch)
    {
        using var model = OnnxTitleModel.Load(folder);
        var options = new TitleDecodingOptions(beam.Width, beam.MinLength, beam.MaxLength, beam.NormalizeByLength, beam.ArticleCharactersOnly, beam.NoRepeatNgram).Validate(model.Manifest);
        if (text is not null)
        {
            WarnIfNothingKnown(context, model, text, "");
            Print(context, model.Generate(text, options), model);
            return Program.Success;
        }
        var path = file!;
        var failures = 0;
        var waiting = new Queue<string>();
        IEnumerable<string> Articles()
        {
            foreach (var (line, _) in Utf8Lines.Read(path, bad => context.Error.WriteLine($"warning: {path} line {bad} is not valid UTF-8; its bad bytes read as U+FFFD."), BatchedGeneration.MaxArticleBytes))
            {
                waiting.Enqueue(line);
                yield return line;
            }
        }
        using var status = new StatusLine(context.Error, Utf8Lines.Count(path), "articles");
        foreach (var streamed in model.GenerateMany(Articles(), options, batch))
        {
            context.Stop.ThrowIfCancellationRequested();
            var next = waiting.Dequeue();
            var where = $"{path} line {streamed.Index + 1}: ";
            if (streamed.Title is { } title)
            {
                WarnIfNothingKnown(context, model, next, where);
                Print(context, title, model, where);
            }
            else
            {
                context.Error.WriteLine($"{where}{streamed.Problem}");
                context.Output.WriteLine();
                failures++;
            }
            status.Report(streamed.Index + 1);
        }
        return failures == 0 ? Program.Success : Program.Failure;
    }

    static void WarnIfNothingKnown(CommandContext context, OnnxTitleModel model, string article, string where)
    {
        var ids = model.Vocabulary.Encode(article.Trim());
        if (ids.Length > 0 && ids.All(id => id == TitleVocabulary.Unknown))
            context.Error.WriteLine($"{where}warning: none of the article's {ids.Length} characters is in the model's vocabulary (emoji, another script or encoding?); its title is not based on its text.");
    }

    static void Print(CommandContext context, Functional.Inference.Titles.GeneratedTitle title, OnnxTitleModel model, string where = "")
    {
        context.Output.WriteLine(title.Title);
        if (title.UsedCharacters < title.ArticleCharacters)
            context.Error.WriteLine($"{where}(the article has {title.ArticleCharacters} characters; the model read the first {model.Manifest.MaxArticleLength})");
    }
}
