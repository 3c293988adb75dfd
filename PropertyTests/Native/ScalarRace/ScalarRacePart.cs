namespace Functional.PropertyTests.Native;

/// <summary>
/// One hot path of the library as the <see cref="ScalarRaceWorkload"/> runs it.
/// </summary>
/// <param name="Name">The name a run selects it by and a failure report shows.</param>
/// <param name="Run">
/// Runs the path once on the calling thread and returns a checksum of its results (values and gradients summed on the
/// host). Contract: it creates tensors only inside its own dispose scope (none outlive the call), it reads but never
/// changes the part's fixed inputs, and on a correct library it returns the same checksum every time.
/// </param>
/// <param name="Release">Releases the part's fixed inputs (parameters, data); called once, after the last run.</param>
public sealed record ScalarRacePart(string Name, Func<double> Run, Action Release);
