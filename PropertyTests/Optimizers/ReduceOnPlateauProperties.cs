using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>The plateau law of <see cref="ReduceOnPlateau"/> against a transcription of Optax contrib's <c>reduce_on_plateau</c>.</summary>
public sealed class ReduceOnPlateauProperties
{
    /// <summary>Optax's update, written out with mutable fields as in its Python source (value negated when maximizing).</summary>
    sealed class Reference(ReduceOnPlateau settings)
    {
        public double Scale = 1, Best = double.PositiveInfinity, Average;
        public long Plateau, Cooldown, Count;

        public void Observe(double observed)
        {
            var value = settings.Minimize ? observed : -observed;
            var newCount = Count + 1;
            Average = (Count * Average + value) / newCount;
            Count = newCount;
            if (Count != settings.AccumulationSize) return;
            var hasImproved = Average < (1 - settings.RelativeTolerance) * Best - settings.AbsoluteTolerance;
            var newBest = hasImproved ? Average : Best;
            var currentPlateau = hasImproved ? 0 : Plateau + 1;
            if (Cooldown > 0)
            {
                Plateau = 0;
                Cooldown -= 1;
            }
            else
            {
                Scale = Math.Max(currentPlateau == settings.Patience ? Scale * settings.Factor : Scale, settings.MinScale);
                Cooldown = currentPlateau == settings.Patience ? settings.Cooldown : 0;
                Plateau = currentPlateau == settings.Patience ? 0 : currentPlateau;
            }
            Best = newBest;
            Count = 0;
            Average = 0;
        }
    }

    static ReduceOnPlateau RandomSettings(Random random) =>
        new(new Scale(1), "loss", random.Next(2) == 0, 0.05 + 0.9 * random.NextDouble(), random.Next(1, 5),
            random.Next(3) == 0 ? 0 : 0.2 * random.NextDouble(), random.Next(3) == 0 ? 0 : 0.5 * random.NextDouble(),
            random.Next(0, 4), random.Next(1, 4), random.Next(2) == 0 ? 0 : 0.3 * random.NextDouble());

    [Property(MaxTest = 400)]
    public void The_state_follows_optaxs_law_over_random_metric_sequences(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var settings = RandomSettings(random);
        var reference = new Reference(settings);
        var state = settings.Init([new TreeLeaf("w", torch.zeros(2))]);
        var length = random.Next(1, 40);
        for (var i = 0; i < length; i++)
        {
            // Values from a small set, so plateaus and ties are common; now and then a drift down.
            var value = random.Next(5) == 0 ? random.NextDouble() * 10 : random.Next(0, 4) - 0.01 * i;
            var before = (ReduceOnPlateauState)state;
            var beforeScale = before.Scale.item<double>();
            state = settings.Observe(state, value);
            reference.Observe(value);
            var now = (ReduceOnPlateauState)state;
            var what = $"observation {i} ({value}) of {settings}";
            Assert.True(reference.Scale == now.Scale.item<double>(), $"scale {now.Scale.item<double>()}, reference {reference.Scale}: {what}");
            Assert.True(reference.Best.Equals(now.BestValue.item<double>()), $"best {now.BestValue.item<double>()}, reference {reference.Best}: {what}");
            Assert.Equal(reference.Plateau, now.PlateauCount.item<long>());
            Assert.Equal(reference.Cooldown, now.CooldownCount.item<long>());
            Assert.Equal(reference.Count, now.Count.item<long>());
            Assert.True(reference.Average.Equals(now.AverageValue.item<double>()), $"average {now.AverageValue.item<double>()}, reference {reference.Average}: {what}");
            Assert.Equal(beforeScale, before.Scale.item<double>()); // pure: the old state is unchanged
            Assert.Same(before.Inner, now.Inner);
        }
    }

    [Property(MaxTest = 150)]
    public void Updates_are_the_inner_updates_times_the_scale_and_bitwise_the_inner_ones_before_any_drop(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var random = new Random(seed);
        var inner = Optimizer.Adam(1e-2);
        var plateau = new ReduceOnPlateau(inner, "loss", true, 0.5, random.Next(1, 3), 0, 0, 0, 1, 0);
        var start = OptimizerTesting.RandomNet(seed, torch.float32);
        var gradients = OptimizerTesting.RandomGradients(start, seed, 6);
        var plateauState = Optimizer.Init(plateau, start);
        var innerState = Optimizer.Init(inner, start);
        var drops = 0;
        foreach (var (gradient, i) in gradients.Select((g, i) => (g, i)))
        {
            var scale = ((ReduceOnPlateauState)plateauState).Scale.item<double>();
            var expected = Optimizer.Update(inner, gradient, innerState, start);
            var actual = Optimizer.Update(plateau, gradient, plateauState, start);
            if (drops == 0) OptimizerTesting.AssertBitwise(expected.Updates, actual.Updates, $"step {i} before any drop");
            else
            {
                using var factor = scale.ToScalar();
                OptimizerTesting.AssertBitwise(Tree.Map(expected.Updates, u => u.mul(factor)), actual.Updates, $"step {i} at scale {scale}");
            }
            Assert.Equal(Optimizer.LearningRate(expected.State)!.Value * ((ReduceOnPlateauState)actual.State).Scale.item<double>(),
                Optimizer.LearningRate(actual.State));
            (innerState, plateauState) = (expected.State, actual.State);
            // A metric that never improves after the first: the scale halves every `patience` observations.
            plateauState = plateau.Observe(plateauState, 1.0);
            if (((ReduceOnPlateauState)plateauState).Scale.item<double>() < scale) drops++;
        }
        Assert.True(drops > 0, "The scale never dropped, so the scaled branch was never checked.");
    }

    sealed record Scalar0d(torch.Tensor Value);

    [Fact]
    public void A_scaled_update_keeps_the_dtype_of_a_0d_leaf()
    {
        using var scope = torch.NewDisposeScope();
        var plateau = new ReduceOnPlateau(Optimizer.Sgd(0.5), "loss", true, 0.5, 1, 0, 0, 0, 1, 0);
        var parameters = new Scalar0d(torch.tensor(1f));
        var state = plateau.Observe(plateau.Observe(Optimizer.Init(plateau, parameters), 1.0), 1.0); // improve, then a plateau: scale 0.5

        var update = Optimizer.Update(plateau, new Scalar0d(torch.tensor(2f)), state, parameters).Updates.Value;

        Assert.Equal(0.5, ((ReduceOnPlateauState)state).Scale.item<double>());
        Assert.Equal(torch.float32, update.dtype);
        Assert.Equal(-0.5f, update.item<float>());
    }

    [Fact]
    public void Settings_out_of_range_are_refused_naming_the_setting()
    {
        Assert.Contains("Factor", Assert.ThrowsAny<ArgumentException>(() => new ReduceOnPlateau(new Scale(1), "loss", true, 1, 1, 0, 0, 0, 1, 0)).Message);
        Assert.Contains("Patience", Assert.ThrowsAny<ArgumentException>(() => new ReduceOnPlateau(new Scale(1), "loss", true, 0.5, 0, 0, 0, 0, 1, 0)).Message);
        Assert.Contains("Monitor", Assert.ThrowsAny<ArgumentException>(() => new ReduceOnPlateau(new Scale(1), " ", true, 0.5, 1, 0, 0, 0, 1, 0)).Message);
        Assert.Contains("AccumulationSize", Assert.ThrowsAny<ArgumentException>(() => new ReduceOnPlateau(new Scale(1), "loss", true, 0.5, 1, 0, 0, 0, 0, 0)).Message);
    }
}
