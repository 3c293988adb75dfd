/// Loads TorchSharp's native library where no build ran: in `dotnet fsi` scripts and .NET Interactive notebooks.
///
/// A compiled program finds libLibTorchSharp.so and libtorch in its bin folder, where the build copied them (and where
/// Functional.Core's buildTransitive targets marked libLibTorchSharp.so's need for GLIBCXX_3.4.32 weak on systems whose
/// libstdc++ predates GCC 13, Debian 12 and Ubuntu 22.04). A script has no bin folder: TorchSharp then looks beside
/// its own assembly in the NuGet cache, and fails with `DllNotFoundException: LibTorchSharp` (no libtorch there, and
/// the unmarked library is refused by the loader on those systems). `NativeLibraries.load ()` does what the build
/// does, for the running process: it finds TorchSharp's libLibTorchSharp.so and a libtorch native package in the NuGet
/// global packages folder, copies libLibTorchSharp.so into a cache folder of its own with the GLIBCXX_3.4.32 need
/// marked weak (the NuGet cache is never written), and loads libtorch and that copy, so that TorchSharp's own loading
/// finds them already in the process.
[<RequireQualifiedAccess>]
module Functional.FSharp.NativeLibraries

open System
open System.IO
open System.Runtime.InteropServices
open System.Text
open TorchSharp

/// Where the native libraries came from: the folder of libtorch and the libLibTorchSharp.so loaded (the marked copy,
/// or the original where nothing needed marking); None for both when TorchSharp loaded on its own.
type Loaded = { LibTorchFolder: string option; LibTorchSharp: string option; Marked: bool }

module internal Elf =
    let private shtGnuVerneed = 0x6ffffffeu
    let private verFlagWeak = 0x2us
    let private u16 (b: byte[]) at = BitConverter.ToUInt16(b, at)
    let private u32 (b: byte[]) at = BitConverter.ToUInt32(b, at)
    let private u64 (b: byte[]) at = BitConverter.ToUInt64(b, at)
    let private cstring (b: byte[]) at = Encoding.ASCII.GetString(b, at, Array.IndexOf(b, 0uy, at) - at)

    /// Sets the weak flag on the need for the given symbol version in a 64-bit little-endian ELF image, in place.
    /// True when the flag was set now, false when the image does not need the version or already needs it weakly.
    /// The same edit as build/MarkGlibcxxNeedWeak.cs (the MSBuild task of compiled programs).
    let markNeedWeak (version: string) (elf: byte[]) =
        if elf.Length < 64 || elf.[0] <> 0x7fuy || elf.[1] <> byte 'E' || elf.[2] <> byte 'L' || elf.[3] <> byte 'F' then
            raise (InvalidDataException "not an ELF file")
        if elf.[4] <> 2uy || elf.[5] <> 1uy then raise (InvalidDataException "not a 64-bit little-endian ELF file")
        let sectionTable = int (u64 elf 0x28)
        let sectionSize = int (u16 elf 0x3a)
        let sectionCount = int (u16 elf 0x3c)
        let mutable marked = false
        for s in 0 .. sectionCount - 1 do
            let header = sectionTable + s * sectionSize
            if u32 elf (header + 4) = shtGnuVerneed then
                let strings = int (u64 elf (sectionTable + int (u32 elf (header + 40)) * sectionSize + 24))
                let mutable need = int (u64 elf (header + 24))
                for _ in 1 .. int (u32 elf (header + 44)) do
                    let mutable aux = need + int (u32 elf (need + 8))
                    for _ in 1 .. int (u16 elf (need + 2)) do
                        if cstring elf (strings + int (u32 elf (aux + 8))) = version then
                            let flags = u16 elf (aux + 4)
                            if flags &&& verFlagWeak = 0us then
                                let patched = flags ||| verFlagWeak
                                elf.[aux + 4] <- byte patched
                                elf.[aux + 5] <- byte (patched >>> 8)
                                marked <- true
                        aux <- aux + int (u32 elf (aux + 12))
                    need <- need + int (u32 elf (need + 12))
        marked

let private glibcxxVersion = "GLIBCXX_3.4.32"

/// The NuGet global packages folder: NUGET_PACKAGES, or ~/.nuget/packages.
let packagesFolder () =
    match Environment.GetEnvironmentVariable "NUGET_PACKAGES" with
    | null | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
    | folder -> folder

let private runtimeIdentifier () =
    let os =
        if OperatingSystem.IsLinux() then "linux"
        elif OperatingSystem.IsMacOS() then "osx"
        else "win"
    let arch = if RuntimeInformation.ProcessArchitecture = Architecture.Arm64 then "arm64" else "x64"
    $"{os}-{arch}"

let private libraryFile name =
    if OperatingSystem.IsLinux() then $"lib{name}.so"
    elif OperatingSystem.IsMacOS() then $"lib{name}.dylib"
    else $"{name}.dll"

/// The version of the TorchSharp package the running TorchSharp assembly came from (its informational version).
let private torchSharpVersion () =
    let attribute =
        typeof<torch>.Assembly.GetCustomAttributes(typeof<Reflection.AssemblyInformationalVersionAttribute>, false)
        |> Array.tryHead |> Option.map (fun a -> (a :?> Reflection.AssemblyInformationalVersionAttribute).InformationalVersion)
    match attribute with
    | Some v -> v.Split('+').[0]
    | None ->
        match typeof<torch>.Assembly.GetName().Version with
        | null -> "0.0.0"
        | v -> $"{v.Major}.{v.Minor}.{v.Build}"

/// Folders in which to look for libtorch: FUNCTIONAL_LIBTORCH_DIR if set, the native search folders of the process,
/// then every version of every libtorch-* package for this platform in the NuGet cache, the highest first.
let private libTorchCandidates () =
    let rid = runtimeIdentifier ()
    let fromEnvironment =
        match Environment.GetEnvironmentVariable "FUNCTIONAL_LIBTORCH_DIR" with
        | null | "" -> []
        | folder -> [ folder ]
    let searched =
        match AppContext.GetData "NATIVE_DLL_SEARCH_DIRECTORIES" with
        | :? string as folders -> folders.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
        | _ -> []
    let cache = packagesFolder ()
    let packaged =
        if Directory.Exists cache then
            Directory.GetDirectories(cache, "libtorch-*")
            |> Array.filter (fun p -> (nonNull (Path.GetFileName p)).EndsWith(rid, StringComparison.OrdinalIgnoreCase))
            |> Array.collect (fun p -> Directory.GetDirectories p)
            |> Array.sortByDescending (fun v -> match Version.TryParse(Path.GetFileName v) with | true, parsed -> parsed | _ -> Version())
            |> Array.map (fun v -> Path.Combine(v, "runtimes", rid, "native"))
            |> List.ofArray
        else []
    fromEnvironment @ searched @ packaged

/// A copy of libLibTorchSharp with the GLIBCXX_3.4.32 need marked weak, in a folder of this loader
/// (~/.cache/functional-fsharp/torchsharp-<version>), written once through a temporary file and a rename.
let private markedCopy (original: string) (version: string) =
    let image = File.ReadAllBytes original
    if not (Elf.markNeedWeak glibcxxVersion image) then original, false
    else
        let root =
            match Environment.GetEnvironmentVariable "XDG_CACHE_HOME" with
            | null | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".cache")
            | folder -> folder
        let folder = Path.Combine(root, "functional-fsharp", $"torchsharp-{version}")
        Directory.CreateDirectory folder |> ignore
        let target = Path.Combine(folder, nonNull (Path.GetFileName original))
        if not (File.Exists target) || File.ReadAllBytes target <> image then
            let temporary = $"{target}.{Environment.ProcessId}.tmp"
            File.WriteAllBytes(temporary, image)
            File.Move(temporary, target, true)
        target, true

let internal systemLibstdcxxHasVersion () =
    [ "/usr/lib/x86_64-linux-gnu"; "/lib/x86_64-linux-gnu"; "/usr/lib64"; "/lib64"; "/usr/lib"; "/usr/lib/aarch64-linux-gnu" ]
    |> List.map (fun d -> Path.Combine(d, "libstdc++.so.6"))
    |> List.tryFind File.Exists
    |> Option.map (fun path ->
        let bytes = File.ReadAllBytes path
        let needle = Encoding.ASCII.GetBytes(glibcxxVersion + "\000")
        bytes.AsSpan().IndexOf(ReadOnlySpan needle) >= 0)
    |> Option.defaultValue true

let private gate = obj ()
let mutable private loaded: Loaded option = None

/// Makes TorchSharp's native library loadable in this process; call it once before the first tensor (idempotent,
/// thread-safe). Does nothing when TorchSharp already finds its library (a compiled program, or a system where it
/// loads as it is). Otherwise loads libtorch from a libtorch-* package of this platform in the NuGet cache (add one
/// with `#r "nuget: libtorch-cpu-linux-x64, 2.10.0"`; FUNCTIONAL_LIBTORCH_DIR names another folder) and TorchSharp's
/// libLibTorchSharp from its package, marked as the build marks it on Linux. Fails with an error that names the
/// folders it searched when there is no libtorch.
let load () : Loaded =
    lock gate (fun () ->
        match loaded with
        | Some l -> l
        | None ->
            let mutable handle = IntPtr.Zero
            let result =
                if NativeLibrary.TryLoad("LibTorchSharp", typeof<torch>.Assembly, Nullable(), &handle) then
                    { LibTorchFolder = None; LibTorchSharp = None; Marked = false }
                else
                    let rid = runtimeIdentifier ()
                    let version = torchSharpVersion ()
                    let torchLibrary = libraryFile "torch"
                    let candidates = libTorchCandidates ()
                    let libTorchFolder =
                        match candidates |> List.tryFind (fun folder -> File.Exists(Path.Combine(folder, torchLibrary))) with
                        | Some folder -> folder
                        | None ->
                            failwithf "Functional.FSharp.NativeLibraries.load: no %s in %s. Reference a libtorch package for %s in the script first, e.g. #r \"nuget: libtorch-cpu-linux-x64, 2.10.0\", or set FUNCTIONAL_LIBTORCH_DIR to a folder that holds libtorch."
                                torchLibrary (if candidates.IsEmpty then "(no candidate folder)" else String.Join(", ", candidates)) rid
                    let original = Path.Combine(packagesFolder (), "torchsharp", version.ToLowerInvariant(), "runtimes", rid, "native", libraryFile "LibTorchSharp")
                    if not (File.Exists original) then
                        failwithf "Functional.FSharp.NativeLibraries.load: TorchSharp %s's native library is not at %s (TorchSharp's package in the NuGet cache, %s)." version original (packagesFolder ())
                    let library, marked =
                        if OperatingSystem.IsLinux() && not (systemLibstdcxxHasVersion ()) then markedCopy original version
                        else original, false
                    NativeLibrary.Load(Path.Combine(libTorchFolder, torchLibrary)) |> ignore
                    NativeLibrary.Load library |> ignore
                    { LibTorchFolder = Some libTorchFolder; LibTorchSharp = Some library; Marked = marked }
            loaded <- Some result
            result)
