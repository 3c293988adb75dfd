using System.CommandLine;
using System.Globalization;
using Functional.Core;
using Functional.Models.Evaluation;
using Functional.Models.Text;
using Functional.Models.Titles;
using Functional.Reporting;
using Functional.Training;

namespace Functional.Cli;

/// <summary>The <c>titles</c> commands: baseline, train, pretrain, generate, eval, attention and export (<see cref="OnnxTitleCommands"/>).</summary>
public sealed partial class TitleCommands : ICommandFamily
{
    /// <inheritdoc />
    public Command Build(CommandContext context) =>
        new("titles", "the seq2seq title generator (LCSTS by default, or your own corpus)")
        {
            Baseline(context), Train(context), Pretrain(context), Generate(context), Evaluate(context), Attention(context), OnnxTitleCommands.Export(context),
        };

    static readonly TitleTrainingOptions Defaults = TitleTrainingOptions.Default;

    static Option<string> Data(string byDefault) => Flags.InputPath("--data", byDefault,
        "the corpus: a folder with train.tsv (+ val.tsv) or train.jsonl (+ val.jsonl), or one .tsv/.jsonl file (LCSTS part II by default)");

    static Option<string> Model() => Flags.Folder("--model", Defaults.OutDirectory, "the trained model's folder (the --out of titles train)");

    static Option<int> Lead() => Flags.Count("--lead", LeadBaseline.DefaultLength, "characters of the lead baseline (the article's first N)");

    /// <summary><c>titles baseline</c>: the lead baseline's ROUGE on a split.</summary>
    static Command Baseline(CommandContext context)
    {
        var data = Data(Defaults.DataDirectory);
        var split = Flags.Choice("--split", "validation", "the split scored", "train", "validation");
        var lead = Lead();
        var corpus = CorpusFlags();
        var command = new Command("baseline", "character ROUGE of the lead baseline (the first N characters of each article) on a corpus") { data, split, lead };
        corpus.AddTo(command);
        command.SetAction(parsed =>
        {
            var chosen = parsed.GetValue(split) == "train" ? Split.Train : Split.Validation;
            var n = parsed.GetValue(lead);
            var loaded = TitleCorpus.Load(parsed.GetValue(data)!, corpus.Read(parsed));
            var pairs = chosen == Split.Train ? loaded.Train : loaded.Validation;
            var scores = Rouge.Mean(pairs.Select(p => (LeadBaseline.Title(p.Content, n), p.Title)));
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lead-{n} on {pairs.Count} {chosen} pairs: ROUGE-1 {scores.Rouge1:F4}  ROUGE-2 {scores.Rouge2:F4}  ROUGE-L {scores.RougeL:F4}"));
        });
        Flags.CheckPaths(command, data);
        return command;
    }

    /// <summary>
    /// The flags of <c>titles train</c>, each declared once with the field of <see cref="TitleTrainingOptions"/> it sets
    /// (defaults and help from here; <c>--tensorboard</c> is the command's own); the corpus flags are
    /// <see cref="CorpusFlags"/>'. The record read is checked by <see cref="TitleModelOptions.Validate"/> and
    /// <see cref="TitleCorpusOptions.Validate"/>.
    /// </summary>
    public static FlagTable<TitleTrainingOptions> TrainFlags() => new(TitleTrainingOptions.Default, o => o with { Model = o.Model.Validate() })
    {
        { d => Data(d.DataDirectory), (o, v) => o with { DataDirectory = v } },
        { d => Flags.Choice("--model", d.Model.Kind, "the kind of model: lstm (seq2seq with copying) or unilm (a transformer over \"article [SEP] title\" with copying; --embedding is its width, --decoder-layers its blocks, --output-hidden its feed-forward width)", [.. TitleModelKinds.All]), (o, v) => o with { Model = o.Model with { Kind = v } } },
        { d => Flags.Folder("--out", d.OutDirectory, "receives the model, checkpoints, metrics.jsonl and loss.png; a run there is resumed"), (o, v) => o with { OutDirectory = v } },
        { d => Flags.Minutes(d.Minutes, "wall-time budget of this run, final evaluation included"), (o, v) => o with { Minutes = v } },
        { d => Flags.Count("--epochs", d.Epochs, "passes over the training pairs (planned for the learning-rate schedule)"), (o, v) => o with { Epochs = v } },
        { d => Flags.Size("--batch", d.BatchSize, "pairs per step", Sizes.Batch), (o, v) => o with { BatchSize = v } },
        { d => Flags.Number("--learning-rate", d.LearningRate, "Adam's peak learning rate (after warm-up; cosine decay to a tenth)", Bounds.Positive), (o, v) => o with { LearningRate = v } },
        { d => Flags.Integer("--warmup", d.WarmupSteps, "steps of linear warm-up", 0), (o, v) => o with { WarmupSteps = v } },
        { d => Flags.Number("--clip", d.ClipNorm, "gradients are clipped to this global norm", Bounds.Positive), (o, v) => o with { ClipNorm = v } },
        { d => Flags.Count("--min-count", d.MinCount, "characters seen fewer times read as unknown"), (o, v) => o with { MinCount = v } },
        { d => Flags.Integer("--val-subset", d.ValidationSubset, "validation pairs scored after each epoch to keep the best model (0: none, the latest model is kept)", 0), (o, v) => o with { ValidationSubset = v } },
        { d => Flags.Seed(d.Seed, "seeds initialisation, batch order and dropout"), (o, v) => o with { Seed = v } },
        { d => LibtorchThreads.Option(d.Threads), (o, v) => o with { Threads = v } },
        { d => Flags.Number("--ema", d.Ema, "decay of an average of the weights used for validation and the kept model (0: none)", Bounds.Decay), (o, v) => o with { Ema = v } },
        { d => Flags.Workers(d.Workers, "threads that collate batches ahead of the step"), (o, v) => o with { Workers = v } },
        { d => Flags.Number("--label-smoothing", d.LabelSmoothing, "share of the training target spread evenly over the vocabulary (0: none)", Bounds.Decay), (o, v) => o with { LabelSmoothing = v } },
        { d => Flags.Size("--embedding", d.Model.EmbeddingSize, "width of the character embedding", Sizes.Width), (o, v) => o with { Model = o.Model with { EmbeddingSize = v } } },
        { d => Flags.Size("--encoder-hidden", d.Model.EncoderHidden, "units per direction of the encoder LSTM", Sizes.Width), (o, v) => o with { Model = o.Model with { EncoderHidden = v } } },
        { d => Flags.Size("--encoder-layers", d.Model.EncoderLayers, "layers of the encoder LSTM", Sizes.Layers), (o, v) => o with { Model = o.Model with { EncoderLayers = v } } },
        { d => Flags.Size("--decoder-hidden", d.Model.DecoderHidden, "units of the decoder LSTM", Sizes.Width), (o, v) => o with { Model = o.Model with { DecoderHidden = v } } },
        { d => Flags.Size("--decoder-layers", d.Model.DecoderLayers, "layers of the decoder LSTM", Sizes.Layers), (o, v) => o with { Model = o.Model with { DecoderLayers = v } } },
        { d => Flags.Size("--output-hidden", d.Model.OutputHidden, "width of the layer before the vocabulary logits", Sizes.Width), (o, v) => o with { Model = o.Model with { OutputHidden = v } } },
        { d => Flags.Number("--dropout", d.Model.Dropout, "dropout rate on embeddings and output features", Bounds.Decay), (o, v) => o with { Model = o.Model with { Dropout = v } } },
        { d => Flags.Size("--max-article", d.Model.MaxArticleLength, "articles are cut to this many characters", Sizes.SequenceLength), (o, v) => o with { Model = o.Model with { MaxArticleLength = v } } },
        { d => Flags.Size("--max-title", d.Model.MaxTitleLength, "titles are cut to this many characters", Sizes.SequenceLength), (o, v) => o with { Model = o.Model with { MaxTitleLength = v } } },
        { d => Flags.Integer("--checkpoint-every", d.CheckpointEverySteps, "a checkpoint every N steps too (0: at epoch ends only)", 0), (o, v) => o with { CheckpointEverySteps = v } },
        { d => Flags.Switch("--restart", d.Restart, "delete the checkpoints in --out and start over instead of resuming"), (o, v) => o with { Restart = v } },
        { _ => Flags.OptionalFolder("--tensorboard", "also write TensorBoard scalars (train/*, validation/*) to this folder") },
        { _ => Devices.Option(), (o, v) => o with { Device = Devices.Parse(v) } },
        { _ => Flags.OptionalFolder("--init", "start a --model unilm from the pretrained weights in this folder (the --out of titles pretrain; same shape flags and corpus)"), (o, v) => o with { InitFrom = v } },
        { CorpusFlags(), o => o.Corpus, (o, v) => o with { Corpus = v } },
    };

    /// <summary><c>titles train</c>: trains the title model (resuming a run in <c>--out</c>) and prints validation ROUGE.</summary>
    static Command Train(CommandContext context)
    {
        var flags = TrainFlags();
        var command = new Command("train", "train the seq2seq title model (resumes a run in --out; keeps the best model by validation ROUGE-L)");
        flags.AddTo(command);
        var parallel = new DataParallelFlags();
        parallel.AddTo(command, flags.Find<double>("--ema"));
        var (kind, init) = (flags.Find<string>("--model"), flags.Find<string>("--init"));
        Flags.CheckPaths(command, flags.Find<string>("--data"), flags.Find<string>("--out"));
        Flags.Validate(command, result =>
        {
            if (result.GetResult(init) is not null && Flags.TryGetValue(result, kind, out var chosen) && chosen != TitleModelKinds.UniLm)
                result.AddError($"--init starts a UniLM from pretrained weights: give --model {TitleModelKinds.UniLm} (got --model {chosen}).");
        });
        command.SetAction(parsed =>
        {
            var options = flags.Read(parsed);
            using var progress = ProgressObserver.Console();
            using var tasks = TaskProgressBar.Console();
            using var board = parsed.GetValue(flags.Find<string>("--tensorboard")) is { } boardFolder ? new TensorBoardObserver(boardFolder) : null;
            var chart = new LossChartObserver(Path.Combine(options.OutDirectory, "loss.png"), TitleTraining.MetricsLogPath(options.OutDirectory));
            IFitObserver[] observers = [new ModelSummaryObserver(context.Output), progress, chart, .. board is null ? [] : new IFitObserver[] { board }];
            // Started by mpirun: data-parallel over the job's processes; rank 0 alone writes and shows progress, and a
            // failure on any rank ends every rank (DataParallelJob).
            var root = true;
            DataParallelJob.Run(context, parallel.Options(parsed), group =>
            {
                TitleTraining.Run(options, context.Output, observers, context.Stop, tasks, group);
                root = group.IsRoot;
            });
            if (!root) return;
            context.Output.WriteLine($"wrote the model to {options.OutDirectory} (model.safetensors, vocabulary.txt), the loss chart to {Path.Combine(options.OutDirectory, "loss.png")}");
        });
        return command;
    }

    /// <summary><c>titles generate</c>: a title for <c>--text</c>, or one per line of <c>--file</c>.</summary>
    static Command Generate(CommandContext context)
    {
        var model = Model();
        var text = Flags.Text("--text", "the article (give --text or --file)");
        var file = Flags.InputFile("--file", null, "a UTF-8 text file, one article per line (give --text or --file)");
        var decoding = DecodingFlags();
        var device = Devices.Option();
        var batch = Flags.Size("--batch", BatchedGeneration.DefaultBatch, $"articles of --file decoded together (their beams step as one batch; articles x beam at most {BatchedGeneration.MaxBeamsPerStep})", BatchedGeneration.MaxBeamsPerStep);
        var runtime = Flags.Choice("--runtime", OnnxTitleCommands.Runtimes[0], "libtorch (a --model trained by titles train), or onnx (a --model folder written by titles export --format onnx; ONNX Runtime only, no libtorch)", OnnxTitleCommands.Runtimes);
        var command = new Command("generate", "a title for an article (--text), or for each line of a file (--file, in batches, each title written as its batch is done)") { model, text, file, batch, device, runtime };
        AddDecoding(command, decoding);
        Flags.CheckPaths(command, model);
        Flags.Validate(command, result =>
        {
            if ((result.GetResult(text) is null) == (result.GetResult(file) is null)) result.AddError("Give exactly one of --text TEXT or --file FILE.");
            if (result.GetResult(file) is not null && Flags.TryGetValue(result, batch, out var articles) && Flags.TryGetValue(result, decoding.Find<int>("--beam"), out var beams)
                && (long)articles * beams > BatchedGeneration.MaxBeamsPerStep)
                result.AddError($"--batch {articles} x --beam {beams} is {(long)articles * beams} beams a step, more than {BatchedGeneration.MaxBeamsPerStep}: lower --batch to at most {Math.Max(1, BatchedGeneration.MaxBeamsPerStep / beams)}.");
        });
        command.SetAction(parsed =>
        {
            var beam = decoding.Read(parsed);
            if (parsed.GetValue(runtime) == "onnx") return OnnxTitleCommands.Generate(context, parsed.GetValue(model)!, parsed.GetValue(text), parsed.GetValue(file), beam, parsed.GetValue(batch));
            var trained = TitleModelFolder.Load(parsed.GetValue(model)!, Devices.Parse(parsed.GetValue(device)!));
            if (parsed.GetValue(text) is { } article)
            {
                WarnIfNothingKnown(context, trained, article, "");
                Print(context, TitleGenerator.Generate(trained, article, beam), trained);
                return Program.Success;
            }
            var path = parsed.GetValue(file)!;
            var failures = 0;
            // The file is streamed: the articles read but not yet titled (one batch at most) wait here, so memory holds a
            // batch of lines (each at most BatchedGeneration.MaxArticleBytes), never the file.
            var waiting = new Queue<string>();
            IEnumerable<string> Articles()
            {
                foreach (var (line, _) in Utf8Lines.Read(path, bad => context.Error.WriteLine($"warning: {path} line {bad} is not valid UTF-8; its bad bytes read as U+FFFD."), BatchedGeneration.MaxArticleBytes))
                {
                    waiting.Enqueue(line);
                    yield return line;
                }
            }
            // On a terminal, "N/M articles" on standard error; each batch's titles go out as soon as it is done.
            using var status = new StatusLine(context.Error, Utf8Lines.Count(path), "articles");
            foreach (var streamed in BatchedGeneration.Generate(trained, Articles(), beam, parsed.GetValue(batch), status))
            {
                context.Stop.ThrowIfCancellationRequested();
                var next = waiting.Dequeue();
                if (streamed.Title is { } title)
                {
                    WarnIfNothingKnown(context, trained, next, $"{path} line {streamed.Index + 1}: ");
                    Print(context, title, trained, $"{path} line {streamed.Index + 1}: ");
                }
                else
                {
                    context.Error.WriteLine($"{path} line {streamed.Index + 1}: {streamed.Problem}");
                    context.Output.WriteLine();
                    failures++;
                }
            }
            return failures == 0 ? Program.Success : Program.Failure;
        });
        return command;
    }

    /// <summary>
    /// The flags of <c>titles eval</c>: those of the decoding set <see cref="TitleEvaluationOptions"/> (defaults from
    /// <see cref="TitleEvaluationOptions.Default"/>, except <c>--normalize</c>, which defaults as beam search does,
    /// <see cref="BeamSearchOptions.Default"/>); the others the command reads itself (<c>--beam</c> is the beam row's width;
    /// the greedy row decodes greedily). The corpus flags are <see cref="CorpusFlags"/>'.
    /// </summary>
    public static FlagTable<TitleEvaluationOptions> EvalFlags() => new(TitleEvaluationOptions.Default)
    {
        { _ => Model() },
        { _ => Data(Defaults.DataDirectory) },
        { _ => Flags.Size("--beam", BeamSearchOptions.Default.Width, "beams kept per step for the beam row (1 decodes greedily)", BeamSearchOptions.WidthLimit) },
        { _ => Flags.Switch("--greedy-only", false, "score greedy titles only, no beam row") },
        { _ => Flags.Integer("--count", 0, "validation pairs scored (0: all)", 0) },
        { _ => Lead() },
        { d => Flags.Integer("--min-length", d.MinLength, "the end is forbidden before this many characters", 0), (o, v) => o with { MinLength = v } },
        { _ => Flags.Switch("--normalize", BeamSearchOptions.Default.NormalizeByLength, "rank finished beams by score per token instead of total score"), (o, v) => o with { NormalizeByLength = v } },
        { d => Flags.Switch("--article-only", d.ArticleCharactersOnly, "beam titles use only characters of their article"), (o, v) => o with { ArticleCharactersOnly = v } },
        { d => Flags.Integer("--no-repeat", d.NoRepeatNgram, "no n-gram of this size twice in a title (1: no character twice; 0: off)", 0), (o, v) => o with { NoRepeatNgram = v } },
        { _ => Devices.Option() },
    };

    /// <summary><c>titles eval</c>: ROUGE of greedy and beam titles beside the lead baseline on the validation pairs.</summary>
    static Command Evaluate(CommandContext context)
    {
        var e = TitleEvaluationOptions.Default;
        var flags = EvalFlags();
        var (model, data, minLength) = (flags.Find<string>("--model"), flags.Find<string>("--data"), flags.Find<int>("--min-length"));
        var corpus = CorpusFlags();
        var command = new Command("eval", "ROUGE of greedy and beam titles beside the lead baseline on a corpus's validation pairs");
        flags.AddTo(command);
        corpus.AddTo(command);
        Flags.CheckPaths(command, model, data);
        Flags.Validate(command, result =>
        {
            if (Flags.TryGetValue(result, minLength, out var min) && min > e.MaxLength) result.AddError($"--min-length must be in [0, {e.MaxLength}] (the longest title decoded), got {min}.");
        });
        command.SetAction(parsed =>
        {
            var trained = TitleModelFolder.Load(parsed.GetValue(model)!, Devices.Parse(parsed.GetValue(flags.Find<string>("--device"))!));
            var beam = parsed.GetValue(flags.Find<int>("--beam"));
            var evaluation = flags.Read(parsed);
            var loaded = TitleCorpus.Load(parsed.GetValue(data)!, corpus.Read(parsed));
            context.Output.WriteLine(loaded.Report.Describe());
            var pairs = loaded.Validation;
            if (parsed.GetValue(flags.Find<int>("--count")) is > 0 and var n) pairs = pairs.Take(n).ToArray();
            var leadLength = parsed.GetValue(flags.Find<int>("--lead"));
            Report(context, $"lead-{leadLength}", pairs.Select(p => LeadBaseline.Title(p.Content, leadLength)).ToArray(), pairs);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var tasks = TaskProgressBar.Console();
            Report(context, "greedy", TitleEvaluation.Titles(trained, pairs, evaluation, tasks), pairs, clock);
            if (parsed.GetValue(flags.Find<bool>("--greedy-only"))) return;
            context.Stop.ThrowIfCancellationRequested();
            clock.Restart();
            Report(context, $"beam {beam}{(evaluation.NormalizeByLength ? " (per token)" : "")}{(evaluation.ArticleCharactersOnly ? " (article characters only)" : "")}",
                TitleEvaluation.Titles(trained, pairs, evaluation with { BeamWidth = beam }, tasks), pairs, clock);
        });
        return command;
    }

    /// <summary><c>titles attention</c>: the attention heat map of one article's generated title, as a PNG.</summary>
    static Command Attention(CommandContext context)
    {
        var model = Model();
        var text = Flags.Text("--text", "the article", required: true);
        var png = Flags.OutputFile("--png", Path.Combine(Defaults.OutDirectory, "attention.png"), "the PNG written");
        var decoding = DecodingFlags();
        var device = Devices.Option();
        var command = new Command("attention", "attention heat map (PNG) of the title generated for one article") { model, text, png, device };
        AddDecoding(command, decoding);
        Flags.CheckPaths(command, model, png);
        command.SetAction(parsed =>
        {
            var beam = decoding.Read(parsed);
            var trained = TrainedTitleModel.Load(parsed.GetValue(model)!, Devices.Parse(parsed.GetValue(device)!));
            var article = parsed.GetValue(text)!;
            var output = parsed.GetValue(png)!;
            var title = TitleGenerator.Generate(trained, article, beam);
            var ids = TitleGenerator.EncodeArticle(trained, article).Take(trained.Options.MaxArticleLength).ToArray();
            var weights = TitleAttention.Weights(trained.Parameters, ids, title.Decoded.Ids);
            string Label(int id) => id == CharacterVocabulary.Unknown ? Charts.UnknownLabel : trained.Vocabulary.Decode([id]);
            var articleLabels = ids.Select(Label).ToArray();
            var titleLabels = title.Decoded.Ids.Select(Label).Append("</s>").ToArray();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            Charts.Heatmap(output, $"Attention: {title.Title}", weights, titleLabels, articleLabels);
            context.Output.WriteLine($"{title.Title}\nwrote {output} ({titleLabels.Length} title steps x {articleLabels.Length} article characters)");
        });
        return command;
    }

    static readonly Dictionary<string, TitleCorpusFormat> CorpusFormats = new() { ["auto"] = TitleCorpusFormat.Auto, ["tsv"] = TitleCorpusFormat.Tsv, ["jsonl"] = TitleCorpusFormat.JsonLines };

    /// <summary>
    /// How <c>train</c>, <c>pretrain</c>, <c>eval</c> and <c>baseline</c> read a corpus, defaults from
    /// <see cref="TitleCorpusOptions.Default"/>; the record read is checked by <see cref="TitleCorpusOptions.Validate"/>
    /// (which owns the rule that the two field names differ).
    /// </summary>
    public static FlagTable<TitleCorpusOptions> CorpusFlags() => new(TitleCorpusOptions.Default, c => c.Validate())
    {
        { d => Flags.Choice("--format", CorpusFormats.Single(f => f.Value == d.Format).Key, "the corpus lines: title<TAB>content (tsv), JSON objects (jsonl), or by extension / first line (auto)", [.. CorpusFormats.Keys]), (o, v) => o with { Format = CorpusFormats[v] } },
        { d => Defaulted(Flags.Text("--title-field", "the JSON field holding the title", helpName: "NAME"), d.TitleField), (o, v) => o with { TitleField = v } },
        { d => Defaulted(Flags.Text("--content-field", "the JSON field holding the article", helpName: "NAME"), d.ContentField), (o, v) => o with { ContentField = v } },
        { d => Flags.Number("--validation-share", d.ValidationShare, $"without a validation file, the share held out for validation (at least {d.MinValidationPairs} pairs when that is at most a fifth)", Bounds.OpenFraction), (o, v) => o with { ValidationShare = v } },
    };

    /// <summary>
    /// The beam-search flags of <c>generate</c> and <c>attention</c>, defaults from <see cref="BeamSearchOptions.Default"/>;
    /// the record read is checked by <see cref="BeamSearchOptions.Validate"/>. Add them with <see cref="AddDecoding"/>.
    /// </summary>
    public static FlagTable<BeamSearchOptions> DecodingFlags() => new(BeamSearchOptions.Default, b => b.Validate())
    {
        { d => Flags.Size("--beam", d.Width, "beams kept per step (1 decodes greedily)", BeamSearchOptions.WidthLimit), (o, v) => o with { Width = v } },
        { d => Flags.Integer("--min-length", d.MinLength, "the end is forbidden before this many characters", 0), (o, v) => o with { MinLength = v } },
        { d => Flags.Size("--max-length", d.MaxLength, "titles of at most this many characters", BeamSearchOptions.MaxLengthLimit), (o, v) => o with { MaxLength = v } },
        { d => Flags.Switch("--normalize", d.NormalizeByLength, "rank finished beams by score per token instead of total score"), (o, v) => o with { NormalizeByLength = v } },
        { d => Flags.Switch("--article-only", d.ArticleCharactersOnly, "titles use only characters of their article"), (o, v) => o with { ArticleCharactersOnly = v } },
        { d => Flags.Integer("--no-repeat", d.NoRepeatNgram, "no n-gram of this size twice in a title (1: no character twice; 0: off)", 0), (o, v) => o with { NoRepeatNgram = v } },
    };

    /// <summary>Adds <paramref name="decoding"/>'s flags to <paramref name="command"/> with the check that <c>--min-length</c> is at most <c>--max-length</c>.</summary>
    static void AddDecoding(Command command, FlagTable<BeamSearchOptions> decoding)
    {
        decoding.AddTo(command);
        var (minLength, maxLength) = (decoding.Find<int>("--min-length"), decoding.Find<int>("--max-length"));
        Flags.Validate(command, result =>
        {
            if (Flags.TryGetValue(result, minLength, out var min) && Flags.TryGetValue(result, maxLength, out var max) && min > max) result.AddError($"--min-length must be in [0, {max}] (--max-length), got {min}.");
        });
    }

    /// <summary><paramref name="option"/> with the default <paramref name="byDefault"/> (for a <see cref="Flags.Text"/> option, which has none of its own).</summary>
    static Option<string> Defaulted(Option<string> option, string byDefault)
    {
        option.DefaultValueFactory = _ => byDefault;
        return option;
    }

    /// <summary>
    /// Warns when no character of <paramref name="article"/> is in the model's vocabulary (emoji, another script, text
    /// in another encoding): the model reads only unknown-character ids, so its title says nothing about the text.
    /// </summary>
    static void WarnIfNothingKnown(CommandContext context, ITitleModel model, string article, string where)
    {
        var ids = model.Vocabulary.Encode(article.Trim());
        if (ids.Length > 0 && ids.All(id => id == CharacterVocabulary.Unknown))
            context.Error.WriteLine($"{where}warning: none of the article's {ids.Length} characters is in the model's vocabulary (emoji, another script or encoding?); its title is not based on its text.");
    }

    static void Print(CommandContext context, GeneratedTitle title, ITitleModel model, string where = "")
    {
        context.Output.WriteLine(title.Title);
        if (title.UsedCharacters < title.ArticleCharacters)
            context.Error.WriteLine($"{where}(the article has {title.ArticleCharacters} characters; the model read the first {model.Options.MaxArticleLength})");
    }

    /// <summary>
    /// The row of <c>titles eval</c> for <paramref name="titles"/> against <paramref name="pairs"/>' titles: today's
    /// character ROUGE (<see cref="Rouge"/>), then the same titles on the published tables' scale (<see cref="PublishedRouge"/>).
    /// </summary>
    static void Report(CommandContext context, string name, IReadOnlyList<string> titles, IReadOnlyList<TitlePair> pairs, System.Diagnostics.Stopwatch? clock = null)
    {
        var scored = titles.Zip(pairs, (title, pair) => (title, pair.Title)).ToArray();
        var (scores, published) = (Rouge.Mean(scored), PublishedRouge.Mean(scored));
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-8} on {pairs.Count} validation pairs: ROUGE-1 {scores.Rouge1:F4}  ROUGE-2 {scores.Rouge2:F4}  ROUGE-L {scores.RougeL:F4}{(clock is null ? "" : $"  ({clock.Elapsed.TotalSeconds:F1} s)")}"));
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-8}    published scale (sets, '.' sentences): ROUGE-1 {published.Rouge1:F4}  ROUGE-2 {published.Rouge2:F4}  ROUGE-L {published.RougeL:F4}"));
    }
}
