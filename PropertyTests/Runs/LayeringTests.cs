using Functional.Models.Digits;
using Xunit;

namespace Functional.PropertyTests.Runs;

/// <summary>The example models train on any <see cref="Functional.Training.IRunGroup"/>: the MPI binding is the application's to compose, never the models' library's.</summary>
public sealed class LayeringTests
{
    [Fact]
    public void The_models_library_references_no_mpi_binding()
    {
        var references = typeof(MnistTraining).Assembly.GetReferencedAssemblies().Select(name => name.Name).ToArray();
        Assert.Contains("Functional.Training", references);
        Assert.DoesNotContain("Functional.Distributed", references);
    }
}
