namespace Functional.Training;

/// <summary>
/// Keras' <c>ModelCheckpoint(monitor, mode, save_best_only=True)</c>, keeping the best k: after each validation, offers
/// the validated parameters and the model state to a <see cref="BestCheckpoints"/> folder, which keeps them when the
/// monitored value is among its best <see cref="BestCheckpoints.KeepBest"/>. The ranking lives in the folder's manifest,
/// so a resumed run goes on from the best so far on disk.
/// </summary>
/// <remarks>
/// The parameters saved are those validated: the pipeline's parameter EMA when <see cref="WithEma"/> is set and the
/// pipeline keeps one (set it as <see cref="FitOptions.EvaluateWithEma"/>), else the parameters themselves. A
/// validation that does not report the monitored metric is an error naming the metrics it does report; a non-finite
/// value is never kept.
/// </remarks>
public sealed record BestCheckpointObserver : IFitObserver
{
    /// <summary>Offers every validation to <paramref name="folder"/>.</summary>
    public BestCheckpointObserver(BestCheckpoints folder) => Folder = folder ?? throw new ArgumentNullException(nameof(folder));

    /// <summary>Where the best checkpoints are kept.</summary>
    public BestCheckpoints Folder { get; }

    /// <summary>Save the parameter EMA when the pipeline keeps one (default true, as <see cref="FitOptions.EvaluateWithEma"/>).</summary>
    public bool WithEma { get; init; } = true;

    /// <summary>Where a kept checkpoint is announced (one line each); nothing by default.</summary>
    public TextWriter Output { get; init; } = TextWriter.Null;

    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        ArgumentNullException.ThrowIfNull(end);
        var validation = end.Report.Validation;
        if (validation.Count == 0) return FitDecision.Continue;
        if (!validation.TryGetValue(Folder.Monitor, out var value))
            throw new InvalidOperationException(
                $"The best checkpoints in {Folder.Folder} are ranked by '{Folder.Monitor}', which the validation does not report; it reports [{string.Join(", ", validation.Keys)}].");
        var parameters = WithEma ? TrainingSteps.EvaluationParameters(end.State) : Functional.Core.Tree.Map(end.State.Parameters, p => p.alias());
        try
        {
            if (Folder.Offer(end.State.Step, end.Report.Epoch, value, parameters, end.State.ModelState) is { } kept)
                Output.WriteLine(FormattableString.Invariant($"Kept {Folder.Monitor} {value:G6} of step {kept.Step} (epoch {kept.Epoch + 1}) among the best {Folder.KeepBest} in {Folder.Folder}."));
        }
        finally
        {
            Functional.Core.Tree.Dispose(parameters);
        }
        return FitDecision.Continue;
    }
}
