using Functional.Core;

namespace Functional.Training;

/// <summary>
/// Runs after a <see cref="BestCheckpointObserver"/> on the same folder: when the validation just offered is now the best
/// one kept, hands its validated parameters (the EMA when <paramref name="withEma"/> and the pipeline keeps one) and
/// model state to <paramref name="keep"/>.
/// </summary>
sealed class KeptModelObserver<TModel, TState>(BestCheckpoints best, bool withEma, Action<TModel, TState> keep) : IFitObserver
{
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end)
    {
        ArgumentNullException.ThrowIfNull(end);
        if (end.Report.Validation.Count == 0 || best.Kept() is not [var first, ..] || first.Step != end.State.Step) return FitDecision.Continue;
        var parameters = withEma ? TrainingSteps.EvaluationParameters(end.State) : Tree.Map(end.State.Parameters, p => p.alias());
        try
        {
            keep((TModel)(object)parameters!, (TState)(object)end.State.ModelState!);
        }
        finally
        {
            Tree.Dispose(parameters);
        }
        return FitDecision.Continue;
    }
}
