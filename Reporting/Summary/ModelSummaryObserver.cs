using Functional.Training;

namespace Functional.Reporting;

/// <summary>Prints the <see cref="ModelSummary"/> of the parameters a fit starts from, once, before its first epoch.</summary>
/// <param name="output">Where the table goes.</param>
public sealed class ModelSummaryObserver(TextWriter output) : IFitObserver
{
    readonly TextWriter output = output ?? throw new ArgumentNullException(nameof(output));

    /// <inheritdoc />
    public void FitStarted<TParams, TModelState>(FitStart<TParams, TModelState> start)
    {
        output.WriteLine(ModelSummary.Of(start.State.Parameters));
        output.Flush();
    }
}
