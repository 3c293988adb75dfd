using Functional.Distributed;
using Functional.Training;
using Xunit;

namespace Functional.PropertyTests.Distributed;

/// <summary>A data-parallel fit's agreed cancellation reaches the observers as the reason it happened for.</summary>
public sealed class StopReasonObserverTests
{
    sealed class Recorder : IFitObserver
    {
        public List<FitEnd> Interruptions { get; } = [];

        public void EpochStepsFinished(EpochStepsEnd end) => Interruptions.Add(end.Interruption);
    }

    [Theory]
    [InlineData(FitEnd.OutOfTime)]
    [InlineData(FitEnd.Cancelled)]
    public void A_cancelled_epoch_is_told_with_the_reason_and_a_completed_one_unchanged(FitEnd reason)
    {
        var recorder = new Recorder();
        var observer = new StopReasonObserver([recorder], () => reason);

        ((IFitObserver)observer).EpochStepsFinished(new EpochStepsEnd(0, 271, 271, FitEnd.Completed));
        ((IFitObserver)observer).EpochStepsFinished(new EpochStepsEnd(1, 187, 187, FitEnd.Cancelled));

        Assert.Equal([FitEnd.Completed, reason], recorder.Interruptions);
    }
}
