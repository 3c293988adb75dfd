using Functional.Core;
using Functional.Optimizers;
using Xunit;

namespace Functional.PropertyTests;

/// <summary>The compiled libraries of the toolkit (every package, and the F# examples), for the tests that scan their IL.</summary>
public static class LibraryAssemblies
{
    /// <summary>The path of each library assembly.</summary>
    public static TheoryData<string> Paths() =>
    [
        typeof(Scalars).Assembly.Location,                                          // Functional.Core
        typeof(IGradientTransformation).Assembly.Location,                          // Functional.Optimizers
        typeof(Functional.Training.TrainState).Assembly.Location,                   // Functional.Training
        typeof(Functional.Reporting.Charts).Assembly.Location,                      // Functional.Reporting
        typeof(Functional.Distributed.Communicator).Assembly.Location,              // Functional.Distributed
        typeof(Functional.Models.Titles.TitleModel).Assembly.Location,              // Functional.Models
        typeof(Functional.Facade.Sequential).Assembly.Location,                     // Functional.Facade
        typeof(Functional.FSharpExamples.Quadrants.Classifier).Assembly.Location,   // FSharpExamples (F#)
        typeof(Functional.FSharp.ScalarSafe).Assembly.Location,                     // Functional.FSharp (F#)
    ];
}
