using TorchSharp;

namespace Functional.Optimizers;

/// <summary>The plateau law of <see cref="ReduceOnPlateau"/> on plain numbers, between reading and writing the tensors of its state.</summary>
internal static class ReduceOnPlateauLaw
{
    /// <summary>The numbers of a <see cref="ReduceOnPlateauState"/>.</summary>
    internal readonly record struct Numbers(double Scale, double Best, long Plateau, long Cooldown, long Count, double Average);

    public static Numbers Read(ReduceOnPlateauState state) =>
        new(state.Scale.item<double>(), state.BestValue.item<double>(), state.PlateauCount.item<long>(), state.CooldownCount.item<long>(),
            state.Count.item<long>(), state.AverageValue.item<double>());

    public static ReduceOnPlateauState Write(Numbers numbers, torch.Device device, object inner) =>
        new(torch.tensor(numbers.Scale, torch.float64, device), torch.tensor(numbers.Best, torch.float64, device),
            torch.tensor(numbers.Plateau, torch.int64, device), torch.tensor(numbers.Cooldown, torch.int64, device),
            torch.tensor(numbers.Count, torch.int64, device), torch.tensor(numbers.Average, torch.float64, device), inner);

    /// <summary>Optax's <c>reduce_on_plateau</c> update for one observed value (negated first when maximizing).</summary>
    public static Numbers Observe(ReduceOnPlateau settings, Numbers state, double observed)
    {
        var value = settings.Minimize ? observed : -observed;
        var count = state.Count + 1;
        var average = (state.Count * state.Average + value) / count;
        if (count != settings.AccumulationSize) return state with { Count = count, Average = average };
        var improved = average < (1 - settings.RelativeTolerance) * state.Best - settings.AbsoluteTolerance;
        var best = improved ? average : state.Best;
        var plateau = improved ? 0 : state.Plateau + 1;
        if (state.Cooldown > 0) return new Numbers(state.Scale, best, 0, state.Cooldown - 1, 0, 0);
        var reached = plateau == settings.Patience;
        return new Numbers(
            Math.Max(reached ? state.Scale * settings.Factor : state.Scale, settings.MinScale), best,
            reached ? 0 : plateau, reached ? settings.Cooldown : 0, 0, 0);
    }
}
