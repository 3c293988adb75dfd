using TorchSharp;

namespace Functional.Models.Gan;

/// <summary>
/// Both networks of the GAN as one parameter tree: paths <c>generator/...</c> and <c>discriminator/...</c>, so one
/// optimizer pipeline can treat them differently by path (see <see cref="GanOptimizer"/>).
/// </summary>
/// <param name="Generator">The generator.</param>
/// <param name="Discriminator">The discriminator.</param>
public sealed record GanParams(GeneratorParams Generator, DiscriminatorParams Discriminator)
{
    /// <summary>The path pattern of every generator parameter.</summary>
    public const string GeneratorPaths = "generator/**";

    /// <summary>The path pattern of every discriminator parameter.</summary>
    public const string DiscriminatorPaths = "discriminator/**";

    /// <summary>Fresh networks of the sizes in <paramref name="options"/> (generator drawn first).</summary>
    public static GanParams Init(torch.Generator generator, GanOptions options, torch.Device device) =>
        new(GanGenerator.Init(generator, options.NoiseSize, options.GeneratorHidden, device),
            Gan.Discriminator.Init(generator, options.DiscriminatorHidden, options.LeakySlope, device));
}
