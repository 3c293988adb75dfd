/// Functional.FSharp.NativeLibraries: its ELF edit of libLibTorchSharp.so is the build's edit (build/MarkGlibcxxNeedWeak.cs),
/// byte for byte, and is idempotent; in a compiled program (this test host) load does nothing.
module Functional.FSharpTests.NativeLibrariesTests

open System.IO
open Xunit
open TorchSharp
open Functional.FSharp

let private original () =
    let version = typeof<torch>.Assembly.GetName().Version |> nonNull
    Path.Combine(NativeLibraries.packagesFolder (), "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}", "runtimes", "linux-x64", "native", "libLibTorchSharp.so")

[<Fact>]
let ``the loader's edit marks the GLIBCXX_3.4.32 need weak once and changes nothing else`` () =
    let image = File.ReadAllBytes(original ())
    let edited = Array.copy image
    Assert.True(NativeLibraries.Elf.markNeedWeak "GLIBCXX_3.4.32" edited, "TorchSharp 0.107's library needs GLIBCXX_3.4.32 strongly")
    let changed = Array.zip image edited |> Array.indexed |> Array.filter (fun (_, (a, b)) -> a <> b) |> Array.map fst
    Assert.Equal(1, changed.Length)
    Assert.Equal(image.[changed.[0]] ||| 2uy, edited.[changed.[0]])
    let again = Array.copy edited
    Assert.False(NativeLibraries.Elf.markNeedWeak "GLIBCXX_3.4.32" again)
    Assert.Equal<byte[]>(edited, again)
    Assert.False(NativeLibraries.Elf.markNeedWeak "GLIBCXX_9.9.99" (Array.copy image))

[<Fact>]
let ``the loader's edit is the build's edit, byte for byte`` () =
    let built = Path.Combine(System.AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so")
    let image = File.ReadAllBytes(original ())
    let edited = Array.copy image
    NativeLibraries.Elf.markNeedWeak "GLIBCXX_3.4.32" edited |> ignore
    let fromBuild = File.ReadAllBytes built
    // The build edits its copy only where the system libstdc++ lacks GLIBCXX_3.4.32 (Debian 12 here); elsewhere its copy is the original.
    if NativeLibraries.systemLibstdcxxHasVersion () then Assert.Equal<byte[]>(image, fromBuild)
    else Assert.Equal<byte[]>(edited, fromBuild)

[<Fact>]
let ``the loader's edit refuses what is not a 64-bit ELF file`` () =
    Assert.Throws<InvalidDataException>(fun () -> NativeLibraries.Elf.markNeedWeak "GLIBCXX_3.4.32" (Array.zeroCreate 128) |> ignore) |> ignore

[<Fact>]
let ``in a compiled program TorchSharp loads on its own and load does nothing`` () =
    use _ = torch.ones(1L)
    let loaded = NativeLibraries.load ()
    Assert.Equal(None, loaded.LibTorchFolder)
    Assert.False(loaded.Marked)
