namespace Functional.Cli;

/// <summary>
/// The caps of the command line's size options that no model record owns (layer widths, batches, sample grids): each
/// far above what trains or draws on a CPU in reasonable time, so a real user never meets it, and low enough that a
/// typo (<c>--hidden 2147483647</c>) is a usage error naming the option rather than minutes of allocation and a native
/// out-of-memory. The decoding caps live in <c>BeamSearchOptions</c> and <c>BatchedGeneration</c>, the workers' in
/// <c>BatchLoader</c>; docs/articles/command-line-limits.md lists them all with their reasons.
/// </summary>
public static class Sizes
{
    /// <summary>
    /// The widest layer (embedding, hidden units, noise, word vectors): 4096, 8 to 32 times the defaults. A 4096 x 4096
    /// float matrix is 64 MiB, with Adam's two moments 192 MiB: the largest model this allows still fits in a few GiB.
    /// </summary>
    public const int Width = 4096;

    /// <summary>The most convolution channels: 1024 (the default is 16); a batch of 64 digit maps of 1024 channels is 205 MB.</summary>
    public const int Channels = 1024;

    /// <summary>The deepest recurrent stack: 16 layers (the defaults are 1 and 2; deeper LSTMs stop training without residual paths).</summary>
    public const int Layers = 16;

    /// <summary>The largest batch: 16384 examples a step, more than all of MNIST t10k or of LCSTS part II's 8,666 training pairs.</summary>
    public const int Batch = 16384;

    /// <summary>The longest article or title the title model is trained on: 4096 characters (LCSTS articles have about 100).</summary>
    public const int SequenceLength = 4096;

    /// <summary>The most samples drawn or scored at once: 10,000, as many digits as MNIST t10k.</summary>
    public const int Samples = 10_000;

    /// <summary>The largest pixel scale of a sample grid: 16 (a 28-pixel digit becomes 448 pixels wide).</summary>
    public const int Scale = 16;

    /// <summary>The most tiles in a row of a sample grid: 1000.</summary>
    public const int Columns = 1000;

    /// <summary>The most pixels in a sample grid's PNG: 64 million (an 8000 x 8000 image, 64 MB of grey before encoding).</summary>
    public const long GridPixels = 64_000_000;

    /// <summary>The widest word2vec context window and the most negative samples per pair: 1000 each (word2vec uses 5 to 20).</summary>
    public const int Window = 1000;
}
