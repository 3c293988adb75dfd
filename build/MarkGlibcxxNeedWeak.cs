// MSBuild task, compiled by RoslynCodeTaskFactory from build/TorchSharpNativeFix.targets.
//
// TorchSharp 0.107's libLibTorchSharp.so declares a need for the libstdc++ symbol version GLIBCXX_3.4.32
// (GCC 13) because of one symbol, std::ios_base_library_init(), that no relocation uses. Where the system
// libstdc++ lacks that version (Debian 12, Ubuntu 22.04) the dynamic loader refuses the library. Setting the
// VER_FLG_WEAK flag on that one entry of the library's .gnu.version_r section turns the hard failure into
// nothing at all: the loader accepts a missing weak version need.
//
// Contract: only the given build-output copies are touched, each through a temporary file and a rename (so a
// hard link into the NuGet cache is never written through); a library that is already weak is left alone;
// nothing is done where the system libstdc++ provides the version.
#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class MarkGlibcxxNeedWeak : Task
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlagWeak = 0x2;

    /// <summary>The build-output copies of libLibTorchSharp.so.</summary>
    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The symbol version to make weak, e.g. GLIBCXX_3.4.32.</summary>
    [Required] public string Version { get; set; } = "";

    public override bool Execute()
    {
        if (Libraries.Length == 0) return true;
        var systemLibrary = FindSystemLibstdcxx();
        if (systemLibrary is null)
        {
            Log.LogMessage(MessageImportance.Normal, $"TorchSharp native fix: no system libstdc++.so.6 found; left {Libraries.Length} librar(ies) as they are.");
            return true;
        }
        if (Contains(File.ReadAllBytes(systemLibrary), Encoding.ASCII.GetBytes(Version + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"TorchSharp native fix: {systemLibrary} provides {Version}; nothing to do.");
            return true;
        }
        foreach (var item in Libraries)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                var outcome = MarkWeak(path);
                Log.LogMessage(MessageImportance.High, outcome switch
                {
                    Outcome.Marked => $"TorchSharp native fix: {systemLibrary} lacks {Version}, so its version need in {path} was marked weak (this build-output copy only; the NuGet cache is untouched).",
                    Outcome.AlreadyWeak => $"TorchSharp native fix: {path} already needs {Version} weakly.",
                    _ => $"TorchSharp native fix: {path} does not need {Version}; left as it is.",
                });
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError($"TorchSharp native fix: could not mark the {Version} need weak in {path}: {e.Message}. TorchSharp will fail to load on this system.");
            }
        }
        return !Log.HasLoggedErrors;
    }

    enum Outcome { Marked, AlreadyWeak, NotNeeded }

    Outcome MarkWeak(string path)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        var sectionTable = checked((int)U64(elf, 0x28));
        int sectionSize = U16(elf, 0x3a), sectionCount = U16(elf, 0x3c);
        for (var s = 0; s < sectionCount; s++)
        {
            var header = sectionTable + s * sectionSize;
            if (U32(elf, header + 4) != ShtGnuVerneed) continue;
            var needs = checked((int)U64(elf, header + 24));
            var needCount = (int)U32(elf, header + 44);
            var strings = checked((int)U64(elf, sectionTable + (int)U32(elf, header + 40) * sectionSize + 24));

            for (int n = 0, need = needs; n < needCount; n++)
            {
                int auxCount = U16(elf, need + 2);
                for (int a = 0, aux = need + (int)U32(elf, need + 8); a < auxCount; a++)
                {
                    if (CString(elf, strings + (int)U32(elf, aux + 8)) == Version)
                    {
                        var flags = U16(elf, aux + 4);
                        if ((flags & VerFlagWeak) != 0) return Outcome.AlreadyWeak;
                        var patched = (ushort)(flags | VerFlagWeak);
                        elf[aux + 4] = (byte)patched;
                        elf[aux + 5] = (byte)(patched >> 8);
                        ReplaceAtomically(path, elf);
                        return Outcome.Marked;
                    }
                    aux += (int)U32(elf, aux + 12);
                }
                need += (int)U32(elf, need + 12);
            }
        }
        return Outcome.NotNeeded;
    }

    static void ReplaceAtomically(string path, byte[] content)
    {
        var temporary = path + ".weak-glibcxx.tmp";
        File.WriteAllBytes(temporary, content);
        File.Replace(temporary, path, destinationBackupFileName: null); // a rename: atomic, and never writes through a hard link
    }

    static string? FindSystemLibstdcxx()
    {
        try
        {
            var start = new ProcessStartInfo(File.Exists("/sbin/ldconfig") ? "/sbin/ldconfig" : "ldconfig", "-p")
            { RedirectStandardOutput = true, UseShellExecute = false };
            using var ldconfig = Process.Start(start)!;
            var listing = ldconfig.StandardOutput.ReadToEnd();
            ldconfig.WaitForExit();
            foreach (var line in listing.Split('\n'))
                if (line.TrimStart().StartsWith("libstdc++.so.6 ") && line.Contains("x86-64") && line.Contains("=>"))
                {
                    var candidate = line.Substring(line.IndexOf("=>", StringComparison.Ordinal) + 2).Trim();
                    if (File.Exists(candidate)) return candidate;
                }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { }
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
            if (File.Exists(Path.Combine(dir, "libstdc++.so.6"))) return Path.Combine(dir, "libstdc++.so.6");
        return null;
    }

    static bool Contains(byte[] haystack, byte[] needle)
    {
        // Compiled for netstandard2.0 by the task factory: no span search there.
        for (var start = 0; start <= haystack.Length - needle.Length; start++)
        {
            var i = 0;
            while (i < needle.Length && haystack[start + i] == needle[i]) i++;
            if (i == needle.Length) return true;
        }
        return false;
    }
    static ushort U16(byte[] b, int at) => BitConverter.ToUInt16(b, at);
    static uint U32(byte[] b, int at) => BitConverter.ToUInt32(b, at);
    static ulong U64(byte[] b, int at) => BitConverter.ToUInt64(b, at);
    static string CString(byte[] b, int at) => Encoding.ASCII.GetString(b, at, Array.IndexOf(b, (byte)0, at) - at);
}
