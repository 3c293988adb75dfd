using FsCheck.Xunit;
using Functional.Core;
using Functional.Optimizers;
using TorchSharp;
using Xunit;

namespace Functional.PropertyTests.Optimizers;

/// <summary>Heun's method and SAM re-evaluate the gradient where their definitions say.</summary>
public sealed class MultiEvaluationProperties
{
    public sealed record Point(torch.Tensor P);

    static readonly Scalar Three = 3L.ToScalar();
    static readonly Scalar PointOne = 0.1.ToScalar();

    static (Point Start, torch.Tensor A, double Lr) Quadratic(int seed)
    {
        var random = new Random(seed);
        using var generator = new torch.Generator(unchecked((ulong)(uint)seed));
        var size = random.Next(1, 6);
        return (new Point(torch.randn([size], dtype: torch.float64, generator: generator)),
            torch.rand([size], dtype: torch.float64, generator: generator).mul(Three).add(PointOne, Scalars.One), 0.01 + random.NextDouble() * 0.5);
    }

    static torch.Tensor Loss(Point x, torch.Tensor a) => (a * x.P.pow(Scalars.Two)).sum().div(Scalars.Two);

    [Property(MaxTest = 200)]
    public void Heun_on_a_quadratic_gives_the_second_order_taylor_factor(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var (start, a, lr) = Quadratic(seed);
        var heun = new Heun(lr);
        var step = Optimizer.Step(heun, p => Loss(p, a), Optimizer.Init(heun, start), start);
        using var rate = lr.ToScalar();
        var lra = a.mul(rate);
        var expected = start.P * lra.neg().add(Scalars.One, Scalars.One).add(lra.pow(Scalars.Two).div(Scalars.Two), Scalars.One);
        OptimizerTesting.AssertClose(new Point(expected), step.Parameters, 1e-12, 1e-14);
        Assert.Equal(1L, ((CountState)step.State).Count.item<long>());
    }

    [Property(MaxTest = 200)]
    public void Sam_with_sgd_steps_with_the_gradient_at_the_perturbed_point(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var (start, a, lr) = Quadratic(seed);
        var rho = new Random(seed).NextDouble();
        var sam = new Sam(rho, Optimizer.Sgd(lr));
        var step = Optimizer.Step(sam, p => Loss(p, a), Optimizer.Init(sam, start), start);
        var g = a * start.P;
        using var radius = (rho / g.norm().item<double>()).ToScalar();
        var perturbed = start.P.add(g.mul(radius), Scalars.One);
        using var rate = lr.ToScalar();
        OptimizerTesting.AssertClose(new Point(start.P - (a * perturbed).mul(rate)), step.Parameters, 1e-12, 1e-14);
    }

    [Property(MaxTest = 100)]
    public void Sam_with_rho_zero_is_its_inner_optimizer(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var (start, a, lr) = Quadratic(seed);
        var adam = Optimizer.Adam(lr);
        var sam = new Sam(0, adam);
        var (p1, s1) = (start, Optimizer.Init(sam, start));
        var (p2, s2) = (start, Optimizer.Init(adam, start));
        for (var i = 0; i < 3; i++)
        {
            (p1, s1) = Optimizer.Step(sam, p => Loss(p, a), s1, p1);
            var gradient = Autodiff.ValueAndGrad(p => Loss(p, a), p2).Gradient;
            (p2, s2) = Optimizer.Step(adam, gradient, s2, p2);
            OptimizerTesting.AssertBitwise(p2, p1, $"step {i}:");
        }
    }
}
