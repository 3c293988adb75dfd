using Functional.Core;
using TorchSharp;

namespace Functional.Models.Gan;

/// <summary>The hinge losses of a GAN (Lim &amp; Ye 2017; Miyato et al. 2018), on discriminator scores [batch].</summary>
public static class Hinge
{
    /// <summary>The discriminator's loss <c>mean(relu(1 - real)) + mean(relu(1 + fake))</c>: zero once real scores are at least 1 and fake ones at most -1.</summary>
    public static torch.Tensor DiscriminatorLoss(torch.Tensor realScores, torch.Tensor fakeScores) =>
        torch.nn.functional.relu(realScores.neg().add(Scalars.One, Scalars.One)).mean()
            .add(torch.nn.functional.relu(fakeScores.add(Scalars.One, Scalars.One)).mean(), Scalars.One);

    /// <summary>The generator's loss <c>-mean(fake)</c>: lower when the discriminator scores its samples as more real.</summary>
    public static torch.Tensor GeneratorLoss(torch.Tensor fakeScores) => -fakeScores.mean();
}
