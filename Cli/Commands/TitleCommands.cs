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

    static Option<string> Data() => Flags.InputPath("--data", Defaults.DataDirectory,
        "the corpus: a folder with train.tsv (+ val.tsv) or train.jsonl (+ val.jsonl), or one .tsv/.jsonl file (LCSTS part II by default)");

    static Option<string> Model() => Flags.Folder("--model", Defaults.OutDirectory, "the trained model's folder (the --out of titles train)");

    static Option<int> Lead() => Flags.Count("--lead", LeadBaseline.DefaultLength, "characters of the lead baseline (the article's first N)");

    /// <summary><c>titles baseline</c>: the lead baseline's ROUGE on a split.</summary>
    static Command Baseline(CommandContext context)
    {
        var data = Data();
        var split = Flags.Choice("--split", "validation", "the split scored", "train", "validation");
        var lead = Lead();
        var corpus = new CorpusFlags();
        var command = new Command("baseline", "character ROUGE of the lead baseline (the first N characters of each article) on a corpus") { data, split, lead };
        corpus.AddTo(command);
        command.SetAction(parsed =>
        {
            var chosen = parsed.GetValue(split) == "train" ? Split.Train : Split.Validation;
            var n = parsed.GetValue(lead);
            var loaded = TitleCorpus.Load(parsed.GetValue(data)!, corpus.Options(parsed));
            var pairs = chosen == Split.Train ? loaded.Train : loaded.Validation;
            var scores = Rouge.Mean(pairs.Select(p => (LeadBaseline.Title(p.Content, n), p.Title)));
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lead-{n} on {pairs.Count} {chosen} pairs: ROUGE-1 {scores.Rouge1:F4}  ROUGE-2 {scores.Rouge2:F4}  ROUGE-L {scores.RougeL:F4}"));
        });
        Flags.CheckPaths(command, data);
        return command;
    }

    /// <summary><c>titles train</c>: trains the title model (resuming a run in <c>--out</c>) and prints validation ROUGE.</summary>
    static Command Train(CommandContext context)
    {
        var d = Defaults;
        var m = d.Model;
        var data = Data();
        var kind = Flags.Choice("--model", TitleModelKinds.Lstm, "the kind of model: lstm (seq2seq with copying) or unilm (a transformer over \"article [SEP] title\" with copying; --embedding is its width, --decoder-layers its blocks, --output-hidden its feed-forward width)", [.. TitleModelKinds.All]);
        var output = Flags.Folder("--out", d.OutDirectory, "receives the model, checkpoints, metrics.jsonl and loss.png; a run there is resumed");
        var minutes = Flags.Minutes(d.Minutes, "wall-time budget of this run, final evaluation included");
        var epochs = Flags.Count("--epochs", d.Epochs, "passes over the training pairs (planned for the learning-rate schedule)");
        var batch = Flags.Size("--batch", d.BatchSize, "pairs per step", Sizes.Batch);
        var learningRate = Flags.Number("--learning-rate", d.LearningRate, "Adam's peak learning rate (after warm-up; cosine decay to a tenth)", Bounds.Positive);
        var warmup = Flags.Integer("--warmup", d.WarmupSteps, "steps of linear warm-up", 0);
        var clip = Flags.Number("--clip", d.ClipNorm, "gradients are clipped to this global norm", Bounds.Positive);
        var minCount = Flags.Count("--min-count", d.MinCount, "characters seen fewer times read as unknown");
        var validationSubset = Flags.Integer("--val-subset", d.ValidationSubset, "validation pairs scored after each epoch to keep the best model (0: none, the latest model is kept)", 0);
        var seed = Flags.Seed(d.Seed, "seeds initialisation, batch order and dropout");
        var threads = LibtorchThreads.Option(d.Threads);
        var ema = Flags.Number("--ema", d.Ema, "decay of an average of the weights used for validation and the kept model (0: none)", Bounds.Decay);
        var workers = Flags.Workers(d.Workers, "threads that collate batches ahead of the step");
        var labelSmoothing = Flags.Number("--label-smoothing", d.LabelSmoothing, "share of the training target spread evenly over the vocabulary (0: none)", Bounds.Decay);
        var embedding = Flags.Size("--embedding", m.EmbeddingSize, "width of the character embedding", Sizes.Width);
        var encoderHidden = Flags.Size("--encoder-hidden", m.EncoderHidden, "units per direction of the encoder LSTM", Sizes.Width);
        var encoderLayers = Flags.Size("--encoder-layers", m.EncoderLayers, "layers of the encoder LSTM", Sizes.Layers);
        var decoderHidden = Flags.Size("--decoder-hidden", m.DecoderHidden, "units of the decoder LSTM", Sizes.Width);
        var decoderLayers = Flags.Size("--decoder-layers", m.DecoderLayers, "layers of the decoder LSTM", Sizes.Layers);
        var outputHidden = Flags.Size("--output-hidden", m.OutputHidden, "width of the layer before the vocabulary logits", Sizes.Width);
        var dropout = Flags.Number("--dropout", m.Dropout, "dropout rate on embeddings and output features", Bounds.Decay);
        var maxArticle = Flags.Size("--max-article", m.MaxArticleLength, "articles are cut to this many characters", Sizes.SequenceLength);
        var maxTitle = Flags.Size("--max-title", m.MaxTitleLength, "titles are cut to this many characters", Sizes.SequenceLength);
        var checkpointEvery = Flags.Integer("--checkpoint-every", d.CheckpointEverySteps, "a checkpoint every N steps too (0: at epoch ends only)", 0);
        var restart = Flags.Switch("--restart", d.Restart, "delete the checkpoints in --out and start over instead of resuming");
        var tensorBoard = Flags.OptionalFolder("--tensorboard", "also write TensorBoard scalars (train/*, validation/*) to this folder");
        var device = Devices.Option();
        var init = Flags.OptionalFolder("--init", "start a --model unilm from the pretrained weights in this folder (the --out of titles pretrain; same shape flags and corpus)");
        var corpus = new CorpusFlags();
        var parallel = new DataParallelFlags();
        var command = new Command("train", "train the seq2seq title model (resumes a run in --out; keeps the best model by validation ROUGE-L)")
        {
            data, kind, output, minutes, epochs, batch, learningRate, warmup, clip, minCount, validationSubset, seed, threads, ema, workers,
            labelSmoothing, embedding, encoderHidden, encoderLayers, decoderHidden, decoderLayers, outputHidden, dropout, maxArticle, maxTitle,
            checkpointEvery, restart, tensorBoard, device, init,
        };
        corpus.AddTo(command);
        parallel.AddTo(command);
        Flags.CheckPaths(command, data, output);
        Flags.Validate(command, result =>
        {
            if (result.GetResult(init) is not null && Flags.TryGetValue(result, kind, out var chosen) && chosen != TitleModelKinds.UniLm)
                result.AddError($"--init starts a UniLM from pretrained weights: give --model {TitleModelKinds.UniLm} (got --model {chosen}).");
        });
        command.SetAction(parsed =>
        {
            var model = new TitleModelOptions(
                parsed.GetValue(embedding), parsed.GetValue(encoderHidden), parsed.GetValue(encoderLayers), parsed.GetValue(decoderHidden),
                parsed.GetValue(decoderLayers), parsed.GetValue(outputHidden), parsed.GetValue(dropout), parsed.GetValue(maxArticle),
                parsed.GetValue(maxTitle)) { Kind = parsed.GetValue(kind)! }.Validate();
            var options = new TitleTrainingOptions(
                parsed.GetValue(data)!, parsed.GetValue(output)!, model, parsed.GetValue(minCount), parsed.GetValue(epochs), parsed.GetValue(batch),
                parsed.GetValue(learningRate), parsed.GetValue(warmup), parsed.GetValue(clip), parsed.GetValue(minutes),
                parsed.GetValue(validationSubset), parsed.GetValue(seed), parsed.GetValue(threads))
            {
                Ema = parsed.GetValue(ema), LabelSmoothing = parsed.GetValue(labelSmoothing), Workers = parsed.GetValue(workers), Device = Devices.Parse(parsed.GetValue(device)!),
                CheckpointEverySteps = parsed.GetValue(checkpointEvery), Restart = parsed.GetValue(restart), Corpus = corpus.Options(parsed),
                InitFrom = parsed.GetValue(init),
            };
            using var progress = ProgressObserver.Console();
            using var tasks = TaskProgressBar.Console();
            using var board = parsed.GetValue(tensorBoard) is { } boardFolder ? new TensorBoardObserver(boardFolder) : null;
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
        var decoding = new DecodingFlags();
        var device = Devices.Option();
        var batch = Flags.Size("--batch", BatchedGeneration.DefaultBatch, $"articles of --file decoded together (their beams step as one batch; articles x beam at most {BatchedGeneration.MaxBeamsPerStep})", BatchedGeneration.MaxBeamsPerStep);
        var runtime = Flags.Choice("--runtime", OnnxTitleCommands.Runtimes[0], "libtorch (a --model trained by titles train), or onnx (a --model folder written by titles export --format onnx; ONNX Runtime only, no libtorch)", OnnxTitleCommands.Runtimes);
        var command = new Command("generate", "a title for an article (--text), or for each line of a file (--file, in batches, each title written as its batch is done)") { model, text, file, batch, device, runtime };
        decoding.AddTo(command);
        Flags.CheckPaths(command, model);
        Flags.Validate(command, result =>
        {
            if ((result.GetResult(text) is null) == (result.GetResult(file) is null)) result.AddError("Give exactly one of --text TEXT or --file FILE.");
            if (result.GetResult(file) is not null && Flags.TryGetValue(result, batch, out var articles) && decoding.TryWidth(result, out var beams)
                && (long)articles * beams > BatchedGeneration.MaxBeamsPerStep)
                result.AddError($"--batch {articles} x --beam {beams} is {(long)articles * beams} beams a step, more than {BatchedGeneration.MaxBeamsPerStep}: lower --batch to at most {Math.Max(1, BatchedGeneration.MaxBeamsPerStep / beams)}.");
        });
        command.SetAction(parsed =>
        {
            var beam = decoding.Beam(parsed);
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

    /// <summary><c>titles eval</c>: ROUGE of greedy and beam titles beside the lead baseline on the validation pairs.</summary>
    static Command Evaluate(CommandContext context)
    {
        var e = TitleEvaluationOptions.Default;
        var b = BeamSearchOptions.Default;
        var model = Model();
        var data = Data();
        var width = Flags.Size("--beam", b.Width, "beams kept per step for the beam row (1 decodes greedily)", BeamSearchOptions.WidthLimit);
        var greedyOnly = Flags.Switch("--greedy-only", false, "score greedy titles only, no beam row");
        var count = Flags.Integer("--count", 0, "validation pairs scored (0: all)", 0);
        var lead = Lead();
        var minLength = Flags.Integer("--min-length", e.MinLength, "the end is forbidden before this many characters", 0);
        var normalize = Flags.Switch("--normalize", b.NormalizeByLength, "rank finished beams by score per token instead of total score");
        var articleOnly = Flags.Switch("--article-only", b.ArticleCharactersOnly, "beam titles use only characters of their article");
        var noRepeat = Flags.Integer("--no-repeat", e.NoRepeatNgram, "no n-gram of this size twice in a title (1: no character twice; 0: off)", 0);
        var device = Devices.Option();
        var corpus = new CorpusFlags();
        var command = new Command("eval", "ROUGE of greedy and beam titles beside the lead baseline on a corpus's validation pairs")
        {
            model, data, width, greedyOnly, count, lead, minLength, normalize, articleOnly, noRepeat, device,
        };
        corpus.AddTo(command);
        Flags.CheckPaths(command, model, data);
        Flags.Validate(command, result =>
        {
            if (Flags.TryGetValue(result, minLength, out var min) && min > e.MaxLength) result.AddError($"--min-length must be in [0, {e.MaxLength}] (the longest title decoded), got {min}.");
        });
        command.SetAction(parsed =>
        {
            var trained = TitleModelFolder.Load(parsed.GetValue(model)!, Devices.Parse(parsed.GetValue(device)!));
            var beam = parsed.GetValue(width);
            var evaluation = e with
            {
                MinLength = parsed.GetValue(minLength), NormalizeByLength = parsed.GetValue(normalize),
                ArticleCharactersOnly = parsed.GetValue(articleOnly), NoRepeatNgram = parsed.GetValue(noRepeat),
            };
            var loaded = TitleCorpus.Load(parsed.GetValue(data)!, corpus.Options(parsed));
            context.Output.WriteLine(loaded.Report.Describe());
            var pairs = loaded.Validation;
            if (parsed.GetValue(count) is > 0 and var n) pairs = pairs.Take(n).ToArray();
            var leadLength = parsed.GetValue(lead);
            Report(context, $"lead-{leadLength}", pairs.Select(p => LeadBaseline.Title(p.Content, leadLength)).ToArray(), pairs);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var tasks = TaskProgressBar.Console();
            Report(context, "greedy", TitleEvaluation.Titles(trained, pairs, evaluation, tasks), pairs, clock);
            if (parsed.GetValue(greedyOnly)) return;
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
        var decoding = new DecodingFlags();
        var device = Devices.Option();
        var command = new Command("attention", "attention heat map (PNG) of the title generated for one article") { model, text, png, device };
        decoding.AddTo(command);
        Flags.CheckPaths(command, model, png);
        command.SetAction(parsed =>
        {
            var beam = decoding.Beam(parsed);
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

    /// <summary>How <c>train</c>, <c>eval</c> and <c>baseline</c> read a corpus, defaults from <see cref="TitleCorpusOptions.Default"/>.</summary>
    sealed class CorpusFlags
    {
        static readonly TitleCorpusOptions D = TitleCorpusOptions.Default;
        static readonly Dictionary<string, TitleCorpusFormat> Formats = new() { ["auto"] = TitleCorpusFormat.Auto, ["tsv"] = TitleCorpusFormat.Tsv, ["jsonl"] = TitleCorpusFormat.JsonLines };
        readonly Option<string> format = Flags.Choice("--format", Formats.Single(f => f.Value == D.Format).Key,
            "the corpus lines: title<TAB>content (tsv), JSON objects (jsonl), or by extension / first line (auto)", [.. Formats.Keys]);
        readonly Option<string> titleField = Flags.Text("--title-field", "the JSON field holding the title", helpName: "NAME");
        readonly Option<string> contentField = Flags.Text("--content-field", "the JSON field holding the article", helpName: "NAME");
        readonly Option<double> validationShare = Flags.Number("--validation-share", D.ValidationShare,
            $"without a validation file, the share held out for validation (at least {D.MinValidationPairs} pairs when that is at most a fifth)", Bounds.OpenFraction);

        public CorpusFlags()
        {
            titleField.DefaultValueFactory = _ => D.TitleField;
            contentField.DefaultValueFactory = _ => D.ContentField;
        }

        public void AddTo(Command command)
        {
            // Equal field names are refused by TitleCorpusOptions.Validate (the core owns the rule).
            foreach (var option in new Option[] { format, titleField, contentField, validationShare }) command.Add(option);
        }

        public TitleCorpusOptions Options(ParseResult parsed) => (D with
        {
            Format = Formats[parsed.GetValue(format)!], TitleField = parsed.GetValue(titleField)!, ContentField = parsed.GetValue(contentField)!,
            ValidationShare = parsed.GetValue(validationShare),
        }).Validate();
    }

    /// <summary>The beam-search options of <c>generate</c> and <c>attention</c>, defaults from <see cref="BeamSearchOptions.Default"/>.</summary>
    sealed class DecodingFlags
    {
        static readonly BeamSearchOptions D = BeamSearchOptions.Default;
        readonly Option<int> width = Flags.Size("--beam", D.Width, "beams kept per step (1 decodes greedily)", BeamSearchOptions.WidthLimit);
        readonly Option<int> minLength = Flags.Integer("--min-length", D.MinLength, "the end is forbidden before this many characters", 0);
        readonly Option<int> maxLength = Flags.Size("--max-length", D.MaxLength, "titles of at most this many characters", BeamSearchOptions.MaxLengthLimit);
        readonly Option<bool> normalize = Flags.Switch("--normalize", D.NormalizeByLength, "rank finished beams by score per token instead of total score");
        readonly Option<bool> articleOnly = Flags.Switch("--article-only", D.ArticleCharactersOnly, "titles use only characters of their article");
        readonly Option<int> noRepeat = Flags.Integer("--no-repeat", D.NoRepeatNgram, "no n-gram of this size twice in a title (1: no character twice; 0: off)", 0);

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { width, minLength, maxLength, normalize, articleOnly, noRepeat }) command.Add(option);
            Flags.Validate(command, result =>
            {
                if (Flags.TryGetValue(result, minLength, out var min) && Flags.TryGetValue(result, maxLength, out var max) && min > max) result.AddError($"--min-length must be in [0, {max}] (--max-length), got {min}.");
            });
        }

        /// <summary>The beam width given (or its default), for a command validator; false when it cannot be read.</summary>
        public bool TryWidth(System.CommandLine.Parsing.CommandResult result, out int value) => Flags.TryGetValue(result, width, out value);

        public BeamSearchOptions Beam(ParseResult parsed) =>
            new BeamSearchOptions(parsed.GetValue(width), parsed.GetValue(minLength), parsed.GetValue(maxLength), parsed.GetValue(normalize))
            { ArticleCharactersOnly = parsed.GetValue(articleOnly), NoRepeatNgram = parsed.GetValue(noRepeat) }.Validate();
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
