namespace Functional.Optimizers;

/// <summary>
/// The parts of a training pipeline and the one order they go in, whatever order they were asked for
/// (<see cref="Assemble"/>): <c>Accumulate(Chain(Clip, ..Optimizer's stages, Rules, Average), AccumulateEvery)</c>,
/// each part only when given. Clipping sees the (mean) raw gradient before the optimizer's own stages (its adaptive
/// scaling, then its weight decay, then its learning rate); the per-path rules scale the final updates; the average
/// sees the new parameters; with accumulation all of them advance only on real updates.
/// </summary>
/// <param name="Optimizer">The optimizer's chain (an alias such as <see cref="Optimizers.Optimizer.AdamW(double, double)"/>); its stages keep their order.</param>
/// <param name="Clip">Global-norm clipping of the gradient, or null for none.</param>
/// <param name="Rules">Per-path multipliers of the updates, or null for none.</param>
/// <param name="Average">The parameter average, or null for none.</param>
/// <param name="AccumulateEvery">Micro-batches per update (<see cref="Accumulate"/>), or null for no accumulation wrapper.</param>
public sealed record PipelineParts(Chain Optimizer, ClipByGlobalNorm? Clip, PathMultipliers? Rules, ParameterEma? Average, int? AccumulateEvery)
{
    /// <summary>The optimizer's chain.</summary>
    public Chain Optimizer { get; init; } = Check.NotNull(Optimizer, nameof(Optimizer));

    /// <summary>Just the optimizer, no other part.</summary>
    public static PipelineParts Of(Chain optimizer) => new(optimizer, null, null, null, null);

    /// <summary>
    /// The pipeline: one flat <see cref="Chain"/> of <see cref="Clip"/>, the optimizer's stages, <see cref="Rules"/>
    /// and <see cref="Average"/>, wrapped in <see cref="Accumulate"/> when <see cref="AccumulateEvery"/> is given.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="AccumulateEvery"/> is below 1.</exception>
    public IGradientTransformation Assemble()
    {
        var chain = new Chain([
            .. Clip is { } clip ? [clip] : Array.Empty<IGradientTransformation>(),
            .. Optimizer.Stages,
            .. Rules is { } rules ? [rules] : Array.Empty<IGradientTransformation>(),
            .. Average is { } average ? [average] : Array.Empty<IGradientTransformation>(),
        ]);
        return AccumulateEvery is { } k ? new Accumulate(chain, k) : chain;
    }
}
