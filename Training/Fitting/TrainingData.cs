namespace Functional.Training;

/// <summary>
/// The training batches of each epoch, restartable at any <see cref="DataPosition"/>.
/// </summary>
/// <param name="BatchesPerEpoch">How many batches an epoch has.</param>
/// <param name="Batches">
/// The batches of epoch <c>position.Epoch</c> from batch <c>position.Batch</c> on; the same position must always give
/// the same batches (a seeded <see cref="BatchPlan"/> does), so a resumed run sees what an uninterrupted one would.
/// The consumer owns each batch and releases it if it is <see cref="IDisposable"/>.
/// </param>
public sealed record TrainingData<TBatch>(int BatchesPerEpoch, Func<DataPosition, IEnumerable<TBatch>> Batches);
