/// Test classes run in parallel, as in PropertyTests (see PropertyTests/Support/TestOrdering.cs): the F# code they
/// run holds every TorchSharp Scalar across the native call that reads it.
module Functional.FSharpTests.AssemblyInfo

[<assembly: Xunit.CollectionBehavior(Xunit.CollectionBehavior.CollectionPerClass, DisableTestParallelization = false)>]
do ()
