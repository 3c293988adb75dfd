using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>Laws of Accumulate, EMA, per-path rules, Lookahead, SkipNonFinite, Masked and Partition.</summary>
public sealed class CombinatorProperties
{
    static double Rate(int seed, double low, double high) => low + (high - low) * new Random(seed ^ 0x2545f491).NextDouble();

    static Net Mean(Net[] gradients)
    {
        using var count = gradients.Length.ToScalar();
        return Tree.Map(
            Tree.Unflatten(gradients[0], Enumerable.Range(0, Tree.LeafCount(gradients[0]))
                .Select(i => gradients.Skip(1).Aggregate(Tree.Leaves(gradients[0])[i].alias(), (sum, g) => sum.add(Tree.Leaves(g)[i], Scalars.One))).ToArray()),
            sum => sum.div(count));
    }

    [Property(MaxTest = 150)]
    public void Accumulate_k_of_sgd_is_one_sgd_step_on_the_mean_gradient_and_params_stay_put_in_between(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var k = 1 + Math.Abs(seed % 4);
        var lr = Rate(seed, 1e-3, 0.5);
        var start = OptimizerTesting.RandomNet(seed, torch.float64);
        var micro = OptimizerTesting.RandomGradients(start, seed, 2 * k);
        var trajectory = OptimizerTesting.Trajectory(new Accumulate(Optimizer.Sgd(lr), k), start, micro);

        var expected = start;
        for (var round = 0; round < 2; round++)
        {
            for (var j = 0; j < k - 1; j++) OptimizerTesting.AssertBitwise(expected, trajectory[round * k + j], $"micro-step {j}:");
            var sgd = Optimizer.Sgd(lr);
            expected = Optimizer.Step(sgd, Mean(micro.Skip(round * k).Take(k).ToArray()), Optimizer.Init(sgd, expected), expected).Parameters;
            OptimizerTesting.AssertBitwise(expected, trajectory[round * k + k - 1], $"update {round}:");
        }
    }

    static (Net Start, torch.Tensor Inputs, torch.Tensor Targets) Regression(int seed, int rows)
    {
        using var generator = new torch.Generator(unchecked((ulong)(uint)seed) + 3);
        var start = OptimizerTesting.RandomNet(seed, torch.float64) with { Extras = [] };
        var (inputs, outputs) = (start.Weight.shape[0], start.Weight.shape[1]);
        return (start, torch.randn([rows, inputs], dtype: torch.float64, generator: generator), torch.randn([rows, outputs], dtype: torch.float64, generator: generator));
    }

    static torch.Tensor Loss(Net net, torch.Tensor x, torch.Tensor y) => (x.matmul(net.Weight).add(net.Bias, Scalars.One) - y).pow(Scalars.Two).mean();

    [Property(MaxTest = 100)]
    public void Accumulate_k_micro_batches_equals_one_step_on_the_whole_batch(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var k = 1 + Math.Abs(seed % 4);
        var rows = 2 * k;
        var (start, x, y) = Regression(seed, rows);
        var whole = Autodiff.ValueAndGrad(n => Loss(n, x, y), start).Gradient;
        var micro = Enumerable.Range(0, k)
            .Select(j => Autodiff.ValueAndGrad(n => Loss(n, x[(2 * j)..(2 * j + 2)], y[(2 * j)..(2 * j + 2)]), start).Gradient).ToArray();

        var sgd = Optimizer.Sgd(Rate(seed, 1e-3, 0.5));
        OptimizerTesting.AssertClose(OptimizerTesting.Trajectory(sgd, start, [whole])[0],
            OptimizerTesting.Trajectory(new Accumulate(sgd, k), start, micro)[^1], 1e-13, 1e-13, "sgd:");
        var adam = Optimizer.Adam(Rate(seed, 1e-3, 0.1));
        OptimizerTesting.AssertClose(OptimizerTesting.Trajectory(adam, start, [whole])[0],
            OptimizerTesting.Trajectory(new Accumulate(adam, k), start, micro)[^1], 1e-7, 1e-7, "adam:");
    }

    [Property(MaxTest = 100)]
    public void Accumulate_1_is_the_inner_transformation(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float32);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 5);
        var adamW = Optimizer.AdamW(Rate(seed, 1e-3, 0.1), Rate(seed + 1, 0, 0.1));
        var inner = OptimizerTesting.Trajectory(adamW, start, gradients);
        var accumulated = OptimizerTesting.Trajectory(new Accumulate(adamW, 1), start, gradients);
        for (var i = 0; i < gradients.Length; i++) OptimizerTesting.AssertBitwise(inner[i], accumulated[i], $"step {i}:");
    }

    [Property(MaxTest = 100)]
    public void Ema_on_or_off_gives_identical_trajectories_and_the_average_has_its_closed_form(int seed, bool biasCorrection)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float64);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 6);
        var decay = Rate(seed, 0.5, 0.99);
        var adam = Optimizer.Adam(Rate(seed + 1, 1e-3, 0.1));
        var withEma = new Chain(adam, new ParameterEma(decay, biasCorrection));

        var plain = OptimizerTesting.Trajectory(adam, start, gradients);
        var state = Optimizer.Init(withEma, start);
        var parameters = start;
        var history = new List<Net> { start };
        for (var t = 0; t < gradients.Length; t++)
        {
            var step = Optimizer.Step(withEma, gradients[t], state, parameters);
            (parameters, state) = (step.Parameters, step.State);
            OptimizerTesting.AssertBitwise(plain[t], parameters, $"step {t}:");
            history.Add(parameters);

            // Closed form: avg_t = d^t avg_0 + (1 - d) sum_i d^(t-i) p_i, avg_0 = p_0 (or 0 and debiased).
            var n = t + 1;
            using var power = Math.Pow(decay, n).ToScalar();
            var expected = Tree.Map(start, leaf => biasCorrection ? torch.zeros_like(leaf) : leaf.mul(power));
            for (var i = 1; i <= n; i++)
            {
                using var weight = ((1 - decay) * Math.Pow(decay, n - i)).ToScalar();
                expected = Tree.Zip(expected, history[i], (sum, p) => sum.add(p.mul(weight), Scalars.One));
            }
            if (biasCorrection)
            {
                using var debias = (1 - Math.Pow(decay, n)).ToScalar();
                expected = Tree.Map(expected, leaf => leaf.div(debias));
            }
            OptimizerTesting.AssertClose(expected, ParameterEma.Average(state, start), 1e-12, 1e-12, $"average {t}:");
        }
    }

    [Property(MaxTest = 100)]
    public void Multiplier_zero_freezes_exactly_and_multiplier_m_scales_the_sgd_update_by_m(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float32);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 4);
        using var nan = double.NaN.ToScalar();
        gradients[1] = gradients[1] with { Weight = gradients[1].Weight.mul(nan) };
        var lr = Rate(seed, 1e-3, 0.5);
        var m = Rate(seed + 1, 0, 3);
        using var multiplier = m.ToScalar();
        var rules = new PathMultipliers([PathRule.Freeze("weight"), new PathRule("bias", m)]);
        var pipeline = new Chain(Optimizer.Sgd(lr), rules);
        var sgd = Optimizer.Sgd(lr);

        var state = Optimizer.Init(pipeline, start);
        var parameters = start;
        foreach (var gradient in gradients)
        {
            var update = Optimizer.Update(pipeline, gradient, state, parameters);
            var plain = Optimizer.Update(sgd, gradient, Optimizer.Init(sgd, parameters), parameters).Updates;
            Assert.True(Same.Bitwise(torch.zeros_like(parameters.Weight), update.Updates.Weight));
            Assert.True(Same.Bitwise(plain.Bias.mul(multiplier), update.Updates.Bias));
            OptimizerTesting.AssertBitwise(plain.Extras, update.Updates.Extras);
            var next = Optimizer.ApplyUpdates(parameters, update.Updates);
            Assert.True(Same.Bitwise(start.Weight, next.Weight));
            (parameters, state) = (next, update.State);
        }
    }

    [Fact]
    public void Rule_report_lists_every_parameter_and_refuses_rules_that_match_nothing_or_overlap()
    {
        using var scope = torch.NewDisposeScope();
        var net = new Net(torch.zeros(2, 2), torch.zeros(2), [torch.zeros(1), torch.zeros(3)]);
        var report = new PathMultipliers([new PathRule("extras/*", 0.5), PathRule.Freeze("bias")]).Report(net);
        Assert.Equal(
            [new("weight", "(default)", -1), new("bias", "bias", 1), new("extras/0", "extras/*", 0), new("extras/1", "extras/*", 0)],
            report.Matches);
        Assert.Contains("extras/1 -> extras/*", report.ToString());

        var unused = Assert.Throws<ArgumentException>(() => Optimizer.Init(new PathMultipliers([new PathRule("decoder/**", 2)]), net));
        Assert.Contains("'decoder/**' matches no parameter", unused.Message);
        var overlap = Assert.Throws<ArgumentException>(() => Optimizer.Init(new PathMultipliers([new PathRule("**", 2), PathRule.Freeze("bias")]), net));
        Assert.Contains("'bias' is matched by several rules", overlap.Message);
        Assert.Throws<ArgumentException>(() => Optimizer.Init(new Partition([new PartitionRule("nothing", Optimizer.Sgd(1))], Identity.Instance), net));
    }

    [Property(MaxTest = 100)]
    public void Lookahead_with_alpha_one_is_the_inner_transformation(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float64);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 7);
        var inner = Optimizer.Momentum(Rate(seed, 1e-3, 0.3), 0.9);
        var expected = OptimizerTesting.Trajectory(inner, start, gradients);
        var actual = OptimizerTesting.Trajectory(new Lookahead(inner, 1 + Math.Abs(seed % 3), 1.0), start, gradients);
        for (var i = 0; i < gradients.Length; i++) OptimizerTesting.AssertBitwise(expected[i], actual[i], $"step {i}:");
    }

    [Property(MaxTest = 100)]
    public void Lookahead_synchronises_to_slow_plus_alpha_times_the_fast_progress(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float64);
        var k = 1 + Math.Abs(seed % 3);
        var gradients = OptimizerTesting.RandomGradients(start, seed, k);
        var alpha = Rate(seed, 0, 1);
        var inner = Optimizer.Sgd(Rate(seed + 1, 1e-3, 0.3));
        var fast = OptimizerTesting.Trajectory(inner, start, gradients)[^1];
        var synced = OptimizerTesting.Trajectory(new Lookahead(inner, k, alpha), start, gradients)[^1];
        using var alphaScalar = alpha.ToScalar();
        OptimizerTesting.AssertClose(Tree.Zip(start, fast, (slow, f) => slow.add((f - slow).mul(alphaScalar), Scalars.One)), synced, 1e-12, 1e-12);
    }

    [Property(MaxTest = 100)]
    public void SkipNonFinite_leaves_parameters_and_inner_state_unchanged_counts_and_gives_up(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var start = OptimizerTesting.RandomNet(seed, torch.float32);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 3);
        var maxConsecutive = random.Next(1, 4);
        var guarded = new SkipNonFinite(Optimizer.Adam(1e-2), maxConsecutive);
        var step = Optimizer.Step(guarded, gradients[0], Optimizer.Init(guarded, start), start);

        var poison = random.Next(2) == 0 ? double.NaN : double.PositiveInfinity;
        var bad = gradients[1] with { Bias = gradients[1].Bias.index_put_(torch.tensor(poison, torch.float32), torch.tensor(random.Next((int)gradients[1].Bias.shape[0]))) };
        var current = step;
        for (var i = 1; i <= maxConsecutive; i++)
        {
            var skipped = Optimizer.Step(guarded, bad, current.State, current.Parameters);
            OptimizerTesting.AssertBitwise(step.Parameters, skipped.Parameters);
            var (before, after) = ((SkipNonFiniteState)step.State, (SkipNonFiniteState)skipped.State);
            Assert.True(OptimizerStates.Equal(before.Inner, after.Inner));
            Assert.Equal((i, i), (after.Skipped, after.Consecutive));
            current = skipped;
        }
        Assert.Throws<InvalidOperationException>(() => Optimizer.Step(guarded, bad, current.State, current.Parameters));
        var recovered = (SkipNonFiniteState)Optimizer.Step(guarded, gradients[2], current.State, current.Parameters).State;
        Assert.Equal((maxConsecutive, 0L), (recovered.Skipped, recovered.Consecutive));
        Assert.False(OptimizerStates.Equal(((SkipNonFiniteState)current.State).Inner, recovered.Inner));
    }

    [Property(MaxTest = 100)]
    public void Masked_and_partition_give_each_leaf_its_own_pipeline(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var start = OptimizerTesting.RandomNet(seed, torch.float64);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 3);
        var adam = Optimizer.Adam(Rate(seed, 1e-3, 0.1));
        var sgd = Optimizer.Sgd(Rate(seed + 1, 1e-3, 0.1));

        var partitioned = OptimizerTesting.Trajectory(new Partition([new PartitionRule("weight", adam)], sgd), start, gradients);
        var allAdam = OptimizerTesting.Trajectory(adam, start, gradients);
        var allSgd = OptimizerTesting.Trajectory(sgd, start, gradients);
        var masked = OptimizerTesting.Trajectory(new Chain(new Masked(new Scale(0), p => p != "weight"), adam), start, gradients);
        for (var i = 0; i < gradients.Length; i++)
        {
            Assert.True(Same.Bitwise(allAdam[i].Weight, partitioned[i].Weight));
            Assert.True(Same.Bitwise(allSgd[i].Bias, partitioned[i].Bias));
            OptimizerTesting.AssertBitwise(allSgd[i].Extras, partitioned[i].Extras);
            // Adam's moments of the masked-out weight see the raw gradient; the others see zeros and never move.
            Assert.True(Same.Bitwise(allAdam[i].Weight, masked[i].Weight));
            OptimizerTesting.AssertBitwise(start.Extras, masked[i].Extras);
        }
    }

    [Property(MaxTest = 300)]
    public void Piecewise_linear_schedules_hit_their_knots_and_stay_between_them(int seed)
    {
        var random = new Random(seed);
        var steps = Enumerable.Range(0, random.Next(1, 6)).Select(_ => (long)random.Next(0, 200)).Distinct().Order().ToArray();
        var knots = steps.Select(s => new Knot(s, random.NextDouble() * 2)).ToArray();
        var schedule = new PiecewiseLinear(random.NextDouble(), knots);

        foreach (var knot in knots) Assert.Equal(schedule.Base * knot.Multiplier, schedule.Value(knot.Step));
        if (steps[0] != 0) Assert.Equal(0, schedule.Value(0));
        Assert.Equal(schedule.Base * knots[^1].Multiplier, schedule.Value(steps[^1] + random.Next(1, 1000)));
        var all = schedule.Knots;
        for (var i = 1; i < all.Count; i++)
        {
            var middle = (all[i - 1].Step + all[i].Step) / 2;
            var (low, high) = (Math.Min(all[i - 1].Multiplier, all[i].Multiplier), Math.Max(all[i - 1].Multiplier, all[i].Multiplier));
            Assert.InRange(schedule.Value(middle), schedule.Base * low - 1e-15, schedule.Base * high + 1e-15);
        }
    }

    [Fact]
    public void Warmup_cosine_and_exponential_decay_have_their_defining_values()
    {
        var cosine = new WarmupCosine(0.1, 10, 100, 0.001);
        Assert.Equal(0, cosine.Value(0));
        Assert.Equal(0.05, cosine.Value(5), 15);
        Assert.Equal(0.1, cosine.Value(10), 15);
        Assert.Equal((0.1 + 0.001) / 2, cosine.Value(60), 15);
        Assert.Equal(0.001, cosine.Value(110), 15);
        Assert.Equal(0.001, cosine.Value(10_000), 15);
        var exponential = new ExponentialDecay(1, 0.5, 10);
        Assert.Equal(1, exponential.Value(0));
        Assert.Equal(0.5, exponential.Value(10), 15);
        Assert.Equal(0.125, exponential.Value(30), 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Accumulate(Identity.Instance, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterEma(1, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Lookahead(Identity.Instance, 2, 1.5));
    }
}
