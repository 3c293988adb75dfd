using Xunit;


// Tests run one class at a time. TorchSharp 0.107 frees the Scalar it creates for `tensor * 2` and the like only in
// a finalizer and does not keep it alive across the native call, so a garbage collection started by another thread
// during that call can free the scalar while libtorch reads it ("Expected false to be true ... toLong"; see
// dotnet/TorchSharp pull requests 1434 and 1496). Parallel test classes allocate heavily on other threads and made
// that race visible; run serially, no other thread allocates during a test's native calls.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Functional.PropertyTests
{
    public sealed class TestEnvironmentTests
    {
        [Fact]
        public void Tests_run_with_the_larger_gen0_budget_of_test_runsettings()
        {
            Assert.Equal("0x10000000", Environment.GetEnvironmentVariable("DOTNET_GCgen0size"));
        }
    }
}
