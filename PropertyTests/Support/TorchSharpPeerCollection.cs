using Xunit;

namespace Functional.PropertyTests;

/// <summary>
/// Tests that run TorchSharp members which make a temporary Scalar inside themselves (the step of a
/// <c>torch.optim</c> optimizer, <c>nn.BatchNorm</c>'s forward: analyzer diagnostic FT0003) as the trusted peer run
/// alone, after the parallel tests: another test's garbage collection could free such a Scalar mid-call.
/// Our own code never needs this collection.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchSharpPeerCollection
{
    /// <summary>The collection's name, for <c>[Collection(TorchSharpPeerCollection.Name)]</c>.</summary>
    public const string Name = "TorchSharp peers";
}
