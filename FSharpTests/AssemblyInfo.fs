/// Tests run one at a time: see PropertyTests/Support/TestOrdering.cs (a TorchSharp Scalar lifetime race that
/// other threads' allocations expose).
module Functional.FSharpTests.AssemblyInfo

[<assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)>]
do ()
