using FsCheck.Xunit;
using Functional.Core;
using TorchSharp;
using Functional.PropertyTests.Layers;
using Xunit;
using Functional.Models.Word2Vec;

namespace Functional.PropertyTests.WordVectors;

public sealed class SkipGramGradientProperties
{
    /// <summary>
    /// One example (centre, context, negatives with distinct targets) on random tables: the hand-written kernel's
    /// row updates equal -η times the autodiff gradient of <see cref="SkipGram.Loss"/>, and its loss equals the loss.
    /// </summary>
    [Property(MaxTest = 300)]
    public void The_hand_written_step_is_an_SGD_step_on_the_autodiff_gradient(int seed)
    {
        var random = new Random(seed);
        int vocabulary = random.Next(2, 9), dimension = random.Next(1, 20), negatives = random.Next(0, vocabulary - 1);
        var centre = random.Next(vocabulary);
        var targets = Enumerable.Range(0, vocabulary).OrderBy(_ => random.Next()).Take(1 + negatives).ToArray();
        using var generator = new torch.Generator((ulong)seed);
        var parameters = new SkipGramParams(torch.randn([vocabulary, dimension], generator: generator), torch.randn([vocabulary, dimension], generator: generator));
        var batch = new SkipGramBatch(torch.tensor(new long[] { centre }), torch.tensor(targets.Select(t => (long)t).ToArray(), [1, targets.Length]));
        const float rate = 0.1f;

        var reference = Autodiff.ValueAndGrad(p => SkipGram.Loss(p, batch), parameters);
        float[] input = parameters.Input.data<float>().ToArray(), output = parameters.Output.data<float>().ToArray();
        var loss = SkipGramKernel.Step(input, output, dimension, centre, targets, rate, new float[dimension]);

        Assert.Equal(reference.Value.item<float>(), loss, 1e-4f * Math.Max(1, Math.Abs(loss)));
        using var rateScalar = rate.ToScalar();
        LayerTesting.AssertClose(parameters.Input - rateScalar * reference.Gradient.Input, torch.tensor(input, [vocabulary, dimension]), rtol: 1e-5, atol: 1e-5);
        LayerTesting.AssertClose(parameters.Output - rateScalar * reference.Gradient.Output, torch.tensor(output, [vocabulary, dimension]), rtol: 1e-5, atol: 1e-5);
    }
}
