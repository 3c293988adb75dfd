namespace Functional.Benchmarks;

/// <summary>
/// The minor page faults this process has taken (Linux, <c>/proc/self/stat</c>): how often the kernel had to hand out a
/// fresh zeroed page. A step that allocates its outputs faults while the C allocator maps new memory for them and hardly
/// at all once it recycles freed blocks: a timing with many faults per step measures the allocator as much as the step.
/// </summary>
public static class MinorPageFaults
{
    /// <summary>Whether the count can be read here.</summary>
    public static bool Available { get; } = File.Exists("/proc/self/stat");

    /// <summary>The faults so far (field 10 of <c>/proc/self/stat</c>), or 0 where <see cref="Available"/> is false.</summary>
    public static long Count()
    {
        if (!Available) return 0;
        // The command name (field 2) is in parentheses and may hold spaces: count the fields after its closing one.
        var afterName = File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ');
        return long.Parse(afterName[7], System.Globalization.CultureInfo.InvariantCulture);
    }
}
