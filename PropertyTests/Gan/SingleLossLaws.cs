using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Xunit;
using Functional.Models.Gan;

namespace Functional.PropertyTests.Gan;

/// <summary>
/// The laws of the single GAN loss <c>L = d(x, sg(G(z))) + λ (g(D(G(z))) - g(D(sg(G(z)))))</c>: its added term is
/// exactly 0, its gradient with respect to the discriminator is the discriminator loss's gradient, its gradient with
/// respect to the generator is λ times the generator loss's gradient. The same checks reject the loss with the
/// stop-gradients removed.
/// </summary>
/// <remarks>
/// In <see cref="SeenFlakyInParallelCollection"/>: once in about twenty runs of the whole suite with test classes in
/// parallel, <c>The_separate_losses_of_the_alternating_step_are_the_terms_of_the_single_loss</c> failed its bitwise
/// comparison (never when run alone, nor in 5 runs beside the stress and sequence tests); the message was not kept.
/// </remarks>
[Collection(SeenFlakyInParallelCollection.Name)]
public sealed class SingleLossLaws
{
    /// <summary>The discriminator's scores with its weights normalised by the vectors as given (null: plain weights).</summary>
    static torch.Tensor Scores(DiscriminatorParams discriminator, SpectralVectors? spectral, torch.Tensor images) =>
        Discriminator.Apply(Discriminator.Normalize(discriminator, spectral, training: false).Weights, images);

    /// <summary>The single loss with every stop-gradient removed: the broken variant the laws must reject.</summary>
    static SingleLossTerms WithoutStopGradient(GanParams parameters, SpectralVectors? spectral, torch.Tensor real, torch.Tensor noise, double lambda)
    {
        var samples = GanGenerator.Apply(parameters.Generator, noise);
        var sameSamples = samples; // where sg(G(z)) stood
        var realScores = Scores(parameters.Discriminator, spectral, real);
        var sameScores = Scores(parameters.Discriminator, spectral, sameSamples);
        var scores = Scores(parameters.Discriminator, spectral, samples);
        var discriminatorLoss = Hinge.DiscriminatorLoss(realScores, sameScores);
        var generatorLoss = Hinge.GeneratorLoss(scores);
        var added = generatorLoss - Hinge.GeneratorLoss(sameScores);
        using var weight = lambda.ToScalar();
        return new SingleLossTerms(discriminatorLoss.add(weight * added, Scalars.One), discriminatorLoss, generatorLoss, added);
    }

    /// <summary>
    /// Every way in which <paramref name="terms"/> breaks the laws on <paramref name="gan"/>, one line each. The
    /// references are written here from the definitions: <c>d(x, sg(G(z)))</c> and <c>g(D(G(z)))</c>.
    /// </summary>
    static List<string> Violations(GanCase gan, Func<GanParams, SpectralVectors?, torch.Tensor, torch.Tensor, double, SingleLossTerms> terms)
    {
        using var scope = torch.NewDisposeScope();
        var (spectral, real, noise, lambda) = (gan.Spectral, gan.Real, gan.Noise, gan.Lambda);
        using var weight = lambda.ToScalar();
        var violations = new List<string>();
        float added = float.NaN, total = float.NaN, discriminatorValue = float.NaN;
        var single = Autodiff.ValueAndGrad(p =>
        {
            var t = terms(p, spectral, real, noise, lambda);
            (added, total, discriminatorValue) = (t.AddedTerm.item<float>(), t.Total.item<float>(), t.DiscriminatorLoss.item<float>());
            return t.Total;
        }, gan.Parameters);
        var discriminatorAlone = Autodiff.ValueAndGrad(p => Hinge.DiscriminatorLoss(
            Scores(p.Discriminator, spectral, real),
            Scores(p.Discriminator, spectral, GanGenerator.Apply(p.Generator, noise).detach())), gan.Parameters);
        var generatorAlone = Autodiff.ValueAndGrad(p => Hinge.GeneratorLoss(
            Scores(p.Discriminator, spectral, GanGenerator.Apply(p.Generator, noise))), gan.Parameters);

        if (added != 0f) violations.Add($"added term is {added:R}, not exactly 0");
        if (total != discriminatorValue) violations.Add($"total {total:R} differs from the discriminator loss {discriminatorValue:R}");
        if (discriminatorValue != discriminatorAlone.Value.item<float>()) violations.Add($"discriminator loss {discriminatorValue:R} differs from d(x, sg(G(z))) {discriminatorAlone.Value.item<float>():R}");

        var scaledGenerator = Tree.Map(generatorAlone.Gradient.Generator, g => weight * g);
        violations.AddRange(GanTesting.Differences("discriminator gradient", discriminatorAlone.Gradient.Discriminator, single.Gradient.Discriminator,
            GanTesting.Magnitude(discriminatorAlone.Gradient.Discriminator, Tree.Map(generatorAlone.Gradient.Discriminator, g => weight * g))));
        violations.AddRange(GanTesting.Differences("generator gradient", scaledGenerator, single.Gradient.Generator,
            GanTesting.Magnitude(scaledGenerator)));
        return violations;
    }

    [Property(MaxTest = 100)]
    public void The_single_loss_gives_each_network_its_own_gradient_and_adds_exactly_zero(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(seed);

        var violations = Violations(gan, SingleLoss.Terms);

        Assert.True(violations.Count == 0, $"λ = {gan.Lambda}, spectral {gan.Spectral is not null}:\n{string.Join("\n", violations)}");
    }

    [Property(MaxTest = 100)]
    public void Without_stop_gradient_the_same_checks_reject_the_loss(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(seed);

        var violations = Violations(gan, WithoutStopGradient);

        Assert.Contains(violations, v => v.StartsWith("generator gradient", StringComparison.Ordinal));
    }

    [Property(MaxTest = 100)]
    public void The_separate_losses_of_the_alternating_step_are_the_terms_of_the_single_loss(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var gan = GanTesting.RandomCase(seed);
        var library = Autodiff.ValueAndGrad(p => SingleLoss.DiscriminatorLoss(p, gan.Spectral, gan.Real, gan.Noise), gan.Parameters);
        var generatorLibrary = Autodiff.ValueAndGrad(p => SingleLoss.GeneratorLoss(p, gan.Spectral, gan.Noise), gan.Parameters);
        var terms = Autodiff.ValueAndGrad(p => SingleLoss.Terms(p, gan.Spectral, gan.Real, gan.Noise, gan.Lambda).DiscriminatorLoss, gan.Parameters);
        var generatorTerms = Autodiff.ValueAndGrad(p => SingleLoss.Terms(p, gan.Spectral, gan.Real, gan.Noise, gan.Lambda).GeneratorLoss, gan.Parameters);

        Optimizers.OptimizerTesting.AssertBitwise(terms.Gradient, library.Gradient);
        Optimizers.OptimizerTesting.AssertBitwise(generatorTerms.Gradient, generatorLibrary.Gradient);
        Assert.All(Tree.Leaves(library.Gradient.Generator), g => Assert.Equal(0f, g.abs().max().item<float>()));
    }
}
