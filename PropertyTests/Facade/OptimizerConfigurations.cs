using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Functional.Facade;
using Functional.Optimizers;
using Optimizer = Functional.Facade.Optimizer;

namespace Functional.PropertyTests.Facade;

/// <summary>A number given to a builder, and whether the core accepts it.</summary>
public sealed record Num(double Value, bool Valid)
{
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture) + (Valid ? "" : "!");
}

/// <summary>The start of a pipeline: a facade alias and its arguments (learning rate first).</summary>
public sealed record Start(string Alias, Num[] Args)
{
    public override string ToString() => $"{Alias}({string.Join(", ", Args.Select(a => a.ToString()))})";
}

/// <summary>One builder call after the start.</summary>
public sealed record Call(string Method, Num Value, bool Flag, string Pattern)
{
    public override string ToString() => Method switch
    {
        "ScaleLearningRate" => $".{Method}('{Pattern}', {Value})",
        "Freeze" => $".{Method}('{Pattern}')",
        "WithEma" => $".{Method}({Value}, {Flag})",
        _ => $".{Method}({Value})",
    };
}

/// <summary>A whole builder expression.</summary>
public sealed record Pipeline(Start Start, Call[] Calls)
{
    public override string ToString() => Start + string.Concat(Calls.Select(c => c.ToString()));

    /// <summary>The facade builder this expression makes.</summary>
    public OptimizerBuilder Builder()
    {
        var a = Start.Args.Select(arg => arg.Value).ToArray();
        var builder = (Start.Alias, a.Length) switch
        {
            ("Sgd", _) => Optimizer.Sgd(a[0]),
            ("Momentum", _) => Optimizer.Momentum(a[0], a[1]),
            ("Nesterov", _) => Optimizer.Nesterov(a[0], a[1]),
            ("Adam", 1) => Optimizer.Adam(a[0]),
            ("Adam", _) => Optimizer.Adam(a[0], a[1], a[2], a[3]),
            ("AdamW", _) => Optimizer.AdamW(a[0], a[1]),
            ("Lamb", _) => Optimizer.Lamb(a[0], a[1]),
            ("Lion", _) => Optimizer.Lion(a[0], a[1]),
            _ => throw new InvalidOperationException(Start.Alias),
        };
        return Calls.Aggregate(builder, (b, call) => call.Method switch
        {
            "ClipByGlobalNorm" => b.ClipByGlobalNorm(call.Value.Value),
            "AccumulateEvery" => b.AccumulateEvery((int)call.Value.Value),
            "WithEma" => b.WithEma(call.Value.Value, call.Flag),
            "ScaleLearningRate" => b.ScaleLearningRate(call.Pattern, call.Value.Value),
            "Freeze" => b.Freeze(call.Pattern),
            _ => throw new InvalidOperationException(call.Method),
        });
    }

    /// <summary>The last call of a setting that keeps one value, or null.</summary>
    public Call? Last(string method) => Calls.LastOrDefault(c => c.Method == method);

    /// <summary>The rule calls in order.</summary>
    public Call[] Rules => Calls.Where(c => c.Method is "ScaleLearningRate" or "Freeze").ToArray();

    /// <summary>The pipeline written by hand with the core's stage constructors (not its aliases).</summary>
    public IGradientTransformation HandBuilt()
    {
        var a = Start.Args.Select(arg => arg.Value).ToArray();
        var rate = new ScaleByLearningRate(a[0]);
        IGradientTransformation[] start = (Start.Alias, a.Length) switch
        {
            ("Sgd", _) => [rate],
            ("Momentum", _) => [new Trace(a[1], Nesterov: false), rate],
            ("Nesterov", _) => [new Trace(a[1], Nesterov: true), rate],
            ("Adam", 1) => [new ScaleByAdam(0.9, 0.999, 1e-8), rate],
            ("Adam", _) => [new ScaleByAdam(a[1], a[2], a[3]), rate],
            ("AdamW", _) => [new ScaleByAdam(0.9, 0.999, 1e-8), new AddDecayedWeights(a[1]), rate],
            ("Lamb", _) => [new ScaleByAdam(0.9, 0.999, 1e-8), new AddDecayedWeights(a[1]), ScaleByTrustRatio.Instance, rate],
            ("Lion", _) => [new ScaleByLion(0.9, 0.99), new AddDecayedWeights(a[1]), rate],
            _ => throw new InvalidOperationException(Start.Alias),
        };
        var rules = Rules.Select(c => c.Method == "Freeze" ? new PathRule(c.Pattern, 0) : new PathRule(c.Pattern, c.Value.Value)).ToArray();
        IGradientTransformation[] clip = Last("ClipByGlobalNorm") is { } c ? [new ClipByGlobalNorm(c.Value.Value)] : [];
        IGradientTransformation[] multipliers = rules.Length > 0 ? [new PathMultipliers(rules)] : [];
        IGradientTransformation[] ema = Last("WithEma") is { } e ? [new ParameterEma(e.Value.Value, e.Flag)] : [];
        var chain = new Chain([.. clip, .. start, .. multipliers, .. ema]);
        return Last("AccumulateEvery") is { } k ? new Accumulate(chain, (int)k.Value.Value) : chain;
    }

    /// <summary>
    /// The errors the facade must report without a tree, as (setting, value) keys: invalid arguments, invalid
    /// last values of the one-value settings, invalid rules, and one error per pattern given to several rules.
    /// </summary>
    public List<string> ExpectedErrors()
    {
        var names = ArgumentNames(Start.Alias, Start.Args.Length);
        var expected = Start.Args.Select((arg, i) => (arg, i)).Where(p => !p.arg.Valid).Select(p => Key($"{Start.Alias}.{names[p.i]}", p.arg.Value)).ToList();
        foreach (var (method, argument) in new[] { ("ClipByGlobalNorm", "maxNorm"), ("AccumulateEvery", "k"), ("WithEma", "decay") })
            if (Last(method) is { Value.Valid: false } call) expected.Add(Key($"{method}.{argument}", method == "AccumulateEvery" ? (int)call.Value.Value : call.Value.Value));
        foreach (var rule in Rules)
        {
            if (string.IsNullOrWhiteSpace(rule.Pattern)) expected.Add(Key($"{rule.Method}.pattern", rule.Pattern));
            if (rule.Method == "ScaleLearningRate" && !rule.Value.Valid) expected.Add(Key($"ScaleLearningRate('{rule.Pattern}').multiplier", rule.Value.Value));
        }
        foreach (var pattern in Rules.Select(r => r.Pattern).Where(p => !string.IsNullOrWhiteSpace(p)).Distinct())
        {
            var same = Rules.Where(r => r.Pattern == pattern).ToArray();
            if (same.Length > 1) expected.Add(Key(string.Join(" and ", same.Select(r => $"{r.Method}('{pattern}')")), pattern));
        }
        return expected;
    }

    public static string[] ArgumentNames(string alias, int count) => (alias, count) switch
    {
        ("Sgd", _) => ["learningRate"],
        ("Momentum" or "Nesterov", _) => ["learningRate", "momentum"],
        ("Adam", 1) => ["learningRate"],
        ("Adam", _) => ["learningRate", "b1", "b2", "eps"],
        _ => ["learningRate", "weightDecay"],
    };

    public static string Key(string setting, object? value) => $"{setting} = {ConfigurationError.Show(value)}";
}

/// <summary>FsCheck generators of builder expressions: all-valid ones, and ones with invalid values and clashing rules.</summary>
public static class OptimizerConfigurations
{
    enum Kind { NonNegative, Positive, Decay, Count }

    static Gen<Num> Valid(Kind kind) => (kind switch
    {
        Kind.NonNegative => Gen.Elements(0.0, 1e-4, 1e-3, 0.01, 0.1, 0.5, 2.0),
        Kind.Positive => Gen.Choose(1, 1000).Select(i => i / 100.0),
        Kind.Decay => Gen.Choose(0, 999).Select(i => i / 1000.0),
        _ => Gen.Choose(1, 8).Select(i => (double)i),
    }).Select(v => new Num(v, true));

    static Gen<Num> Invalid(Kind kind) => (kind switch
    {
        Kind.NonNegative => Gen.Elements(-1e-3, -2.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity),
        Kind.Positive => Gen.Elements(0.0, -1.0, double.NaN, double.PositiveInfinity),
        Kind.Decay => Gen.Elements(1.0, 1.5, -0.1, double.NaN),
        _ => Gen.Elements(0.0, -1.0, -7.0),
    }).Select(v => new Num(v, false));

    static Gen<Num> Number(Kind kind, bool mayBeInvalid) =>
        mayBeInvalid ? Gen.Choose(0, 2).SelectMany(c => c == 0 ? Invalid(kind) : Valid(kind)) : Valid(kind);

    static readonly (string Alias, Kind[] Args)[] Starts =
    [
        ("Sgd", [Kind.NonNegative]),
        ("Momentum", [Kind.NonNegative, Kind.Decay]),
        ("Nesterov", [Kind.NonNegative, Kind.Decay]),
        ("Adam", [Kind.NonNegative]),
        ("Adam", [Kind.NonNegative, Kind.Decay, Kind.Decay, Kind.NonNegative]),
        ("AdamW", [Kind.NonNegative, Kind.NonNegative]),
        ("Lamb", [Kind.NonNegative, Kind.NonNegative]),
        ("Lion", [Kind.NonNegative, Kind.NonNegative]),
    ];

    static Gen<Start> StartGen(bool mayBeInvalid) =>
        Gen.Elements(Starts).SelectMany(s => Gen.CollectToArray(s.Args.Select(k => Number(k, mayBeInvalid))).Select(args => new Start(s.Alias, args)));

    static Gen<Call> CallGen(bool mayBeInvalid, Gen<string> patterns) =>
        Gen.Choose(0, 4).SelectMany(method => method switch
        {
            0 => Number(Kind.Positive, mayBeInvalid).Select(n => new Call("ClipByGlobalNorm", n, false, "")),
            1 => Number(Kind.Count, mayBeInvalid).Select(n => new Call("AccumulateEvery", n, false, "")),
            2 => Number(Kind.Decay, mayBeInvalid).SelectMany(n => Gen.Elements(false, true).Select(flag => new Call("WithEma", n, flag, ""))),
            3 => Number(Kind.NonNegative, mayBeInvalid).SelectMany(n => patterns.Select(p => new Call("ScaleLearningRate", n, false, p))),
            _ => patterns.Select(p => new Call("Freeze", new Num(0, true), false, p)),
        });

    static Gen<Pipeline> PipelineGen(bool mayBeInvalid, Gen<string> patterns) =>
        StartGen(mayBeInvalid).SelectMany(start => Gen.Choose(0, 7).SelectMany(n => Gen.ArrayOf(CallGen(mayBeInvalid, patterns), n))
            .Select(calls => new Pipeline(start, calls)));

    /// <summary>The path patterns of <see cref="TreeCase"/> with the paths each matches (written out by hand).</summary>
    public static readonly (string Pattern, string[] Matches)[] Catalogue =
    [
        ("embedding/*", ["embedding/weight"]),
        ("embedding/weight", ["embedding/weight"]),
        ("encoder/**", ["encoder/inner/weight", "encoder/inner/bias", "encoder/outer/weight", "encoder/outer/bias"]),
        ("encoder/*", []),
        ("encoder/inner/*", ["encoder/inner/weight", "encoder/inner/bias"]),
        ("**/bias", ["encoder/inner/bias", "encoder/outer/bias", "head/bias"]),
        ("head/*", ["head/weight", "head/bias"]),
        ("head/weight", ["head/weight"]),
        ("*/weight", ["embedding/weight", "head/weight"]),
        ("decoder/**", []),
    ];

    /// <summary>Valid expressions whose rule patterns are all different (so they need no tree to be valid).</summary>
    public static Arbitrary<Pipeline> ValidPipelines() =>
        Arb.From(PipelineGen(false, Gen.Choose(0, 1_000_000).Select(i => $"part{i}/**"))
            .Where(p => p.Rules.Select(r => r.Pattern).Distinct().Count() == p.Rules.Length));

    /// <summary>Expressions where any value may be out of range and patterns are often empty or repeated.</summary>
    public static Arbitrary<InvalidPipeline> InvalidPipelines() =>
        Arb.From(PipelineGen(true, Gen.Elements("", " ", "a/*", "b/**", "**/bias")).Select(p => new InvalidPipeline(p)));

    /// <summary>Valid numbers, rules drawn from <see cref="Catalogue"/>: unknown and overlapping paths are common.</summary>
    public static Arbitrary<TreeCase> TreeCases() =>
        Arb.From(PipelineGen(false, Gen.Elements(Catalogue.Select(c => c.Pattern).ToArray())).Select(p => new TreeCase(p)));
}

/// <summary>A pipeline expression that may be invalid.</summary>
public sealed record InvalidPipeline(Pipeline Pipeline)
{
    public override string ToString() => Pipeline.ToString();
}

/// <summary>A pipeline expression checked against the tree of <c>TreeModel</c>.</summary>
public sealed record TreeCase(Pipeline Pipeline)
{
    public override string ToString() => Pipeline.ToString();
}
