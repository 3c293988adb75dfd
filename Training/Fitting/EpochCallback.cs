namespace Functional.Training;

/// <summary>A plain function called after each epoch with its report, which may stop the fit (Keras' callback, as a value).</summary>
/// <param name="Callback">Called with each epoch's report.</param>
public sealed record EpochCallback(Func<EpochReport, FitDecision> Callback) : IFitObserver
{
    /// <inheritdoc />
    public FitDecision EpochFinished<TParams, TModelState>(EpochEnd<TParams, TModelState> end) => Callback(end.Report);
}
