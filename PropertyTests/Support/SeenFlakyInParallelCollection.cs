using Xunit;

namespace Functional.PropertyTests;

/// <summary>
/// Test classes that failed once when run beside other classes and never alone, the cause not yet found; they run
/// alone, after the parallel tests, until it is. Each says in a comment what was seen.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SeenFlakyInParallelCollection
{
    /// <summary>The collection's name, for <c>[Collection(SeenFlakyInParallelCollection.Name)]</c>.</summary>
    public const string Name = "seen flaky in parallel";
}
