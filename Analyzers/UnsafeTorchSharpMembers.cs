using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Functional.Analyzers
{
    /// <summary>
    /// The public TorchSharp 0.107 members that make a Scalar inside themselves and let it die before (or during) the
    /// native call that reads it, directly or through another TorchSharp method that does.
    /// </summary>
    /// <remarks>
    /// <para>Found by reading TorchSharp's IL, not by hand: a method is unsafe when it converts a number to a Scalar
    /// (<c>Scalar.op_Implicit</c>, <c>ToScalar</c>) more often than it disposes one, or when it calls such a method.
    /// The test <c>TorchSharpScalarScanTests</c> repeats the scan on the TorchSharp the solution references and fails,
    /// with the difference, when this list is out of date.</para>
    /// <para>The ones that matter most in practice, with what they do inside (TorchSharp's source):
    /// <c>Tensor + Tensor</c> and <c>Tensor.add(Tensor)</c> call <c>add(other, alpha: 1)</c>; <c>Tensor + Scalar</c>
    /// calls <c>add(scalar, alpha: 1)</c>; <c>Scalar - Tensor</c> calls <c>negative().add(scalar)</c>; every operator
    /// with an <c>int</c>, <c>long</c>, <c>float</c> or <c>double</c> operand (<c>x * 2.0</c>, <c>1 - x</c>) converts
    /// the number inside; <c>Tensor.square()</c> calls <c>pow(2)</c>; <c>addcdiv(a, b)</c> passes <c>value: 1</c>;
    /// <c>elu</c>, <c>celu</c>, <c>softplus</c>, <c>leaky_relu</c>, <c>hardtanh</c>, <c>threshold</c>, <c>mish</c>,
    /// <c>softsign</c>, <c>linalg.vector_norm</c>, <c>linalg.matrix_norm</c>, <c>arange(Scalar...)</c> (its step 1),
    /// <c>normal(double, double, ...)</c>; <c>nn.BatchNorm</c>'s forward and the step of every <c>torch.optim</c>
    /// optimizer; most of <c>torch.distributions</c>.</para>
    /// <para>A call through a base class is not reported: <c>Module&lt;Tensor, Tensor&gt;.forward</c> or <c>call</c>, and
    /// <c>Optimizer.step</c>, run whichever override the object has, and most overrides (<c>Linear</c>, <c>LSTM</c>)
    /// are safe, so reporting every such call would bury the real ones. The unsafe overrides themselves
    /// (<c>ELU.forward</c>, <c>Adam.step</c>) are listed and reported where the concrete type is known.</para>
    /// <para>A key is <c>Namespace.Type+Nested::MetadataName(ParameterTypes)</c>, parameter types by metadata name
    /// (<c>Int64</c>, <c>Nullable`1&lt;ScalarType&gt;</c>, <c>!!0</c> for a method's type parameter).</para>
    /// </remarks>
    public static class UnsafeTorchSharpMembers
    {
        /// <summary>The keys (see <see cref="KeyOf"/>) of the unsafe members of TorchSharp 0.107.0.</summary>
        public static readonly HashSet<string> Keys = new()
        {
            "TorchSharp.Modules.ASGD::step(Func`1<Tensor>)",
            "TorchSharp.Modules.Adadelta::step(Func`1<Tensor>)",
            "TorchSharp.Modules.Adagrad+State::Initialize(OptimizerOptions)",
            "TorchSharp.Modules.Adagrad::step(Func`1<Tensor>)",
            "TorchSharp.Modules.Adam::step(Func`1<Tensor>)",
            "TorchSharp.Modules.AdamW::step(Func`1<Tensor>)",
            "TorchSharp.Modules.Adamax::step(Func`1<Tensor>)",
            "TorchSharp.Modules.BatchNorm::forward(Tensor)",
            "TorchSharp.Modules.Bernoulli::entropy()",
            "TorchSharp.Modules.Bernoulli::get_logits()",
            "TorchSharp.Modules.Bernoulli::get_variance()",
            "TorchSharp.Modules.Bernoulli::log_prob(Tensor)",
            "TorchSharp.Modules.Beta::get_mean()",
            "TorchSharp.Modules.Beta::get_variance()",
            "TorchSharp.Modules.Beta::log_prob(Tensor)",
            "TorchSharp.Modules.Binomial::.ctor(Tensor, Tensor, Tensor, Generator)",
            "TorchSharp.Modules.Binomial::expand(Size, Distribution)",
            "TorchSharp.Modules.Binomial::get_mode()",
            "TorchSharp.Modules.Binomial::get_variance()",
            "TorchSharp.Modules.Binomial::log_prob(Tensor)",
            "TorchSharp.Modules.CELU::forward(Tensor)",
            "TorchSharp.Modules.Categorical::entropy()",
            "TorchSharp.Modules.Categorical::get_logits()",
            "TorchSharp.Modules.Categorical::get_mean()",
            "TorchSharp.Modules.Categorical::get_variance()",
            "TorchSharp.Modules.Categorical::log_prob(Tensor)",
            "TorchSharp.Modules.Cauchy::.ctor(Tensor, Tensor, Generator)",
            "TorchSharp.Modules.Cauchy::cdf(Tensor)",
            "TorchSharp.Modules.Cauchy::entropy()",
            "TorchSharp.Modules.Cauchy::expand(Size, Distribution)",
            "TorchSharp.Modules.Cauchy::icdf(Tensor)",
            "TorchSharp.Modules.Cauchy::log_prob(Tensor)",
            "TorchSharp.Modules.Cauchy::rsample(Int64[])",
            "TorchSharp.Modules.Chi2::.ctor(Tensor, Generator)",
            "TorchSharp.Modules.Chi2::expand(Size, Distribution)",
            "TorchSharp.Modules.Chi2::get_df()",
            "TorchSharp.Modules.Dirichlet::entropy()",
            "TorchSharp.Modules.Dirichlet::get_mode()",
            "TorchSharp.Modules.Dirichlet::get_variance()",
            "TorchSharp.Modules.Dirichlet::log_prob(Tensor)",
            "TorchSharp.Modules.ELU::forward(Tensor)",
            "TorchSharp.Modules.ExpRelaxedCategorical::get_logits()",
            "TorchSharp.Modules.ExpRelaxedCategorical::log_prob(Tensor)",
            "TorchSharp.Modules.ExpRelaxedCategorical::rsample(Int64[])",
            "TorchSharp.Modules.Exponential::cdf(Tensor)",
            "TorchSharp.Modules.Exponential::entropy()",
            "TorchSharp.Modules.Exponential::get_variance()",
            "TorchSharp.Modules.Exponential::icdf(Tensor)",
            "TorchSharp.Modules.FisherSnedecor::.ctor(Tensor, Tensor, Generator)",
            "TorchSharp.Modules.FisherSnedecor::expand(Size, Distribution)",
            "TorchSharp.Modules.FisherSnedecor::get_mean()",
            "TorchSharp.Modules.FisherSnedecor::get_variance()",
            "TorchSharp.Modules.FisherSnedecor::log_prob(Tensor)",
            "TorchSharp.Modules.FisherSnedecor::rsample(Int64[])",
            "TorchSharp.Modules.Gamma::entropy()",
            "TorchSharp.Modules.Gamma::get_mode()",
            "TorchSharp.Modules.Gamma::get_variance()",
            "TorchSharp.Modules.Gamma::log_prob(Tensor)",
            "TorchSharp.Modules.GaussianNLLLoss::forward(Tensor, Tensor, Tensor)",
            "TorchSharp.Modules.Geometric::entropy()",
            "TorchSharp.Modules.Geometric::expand(Size, Distribution)",
            "TorchSharp.Modules.Geometric::get_logits()",
            "TorchSharp.Modules.Geometric::get_mean()",
            "TorchSharp.Modules.Geometric::get_variance()",
            "TorchSharp.Modules.Geometric::log_prob(Tensor)",
            "TorchSharp.Modules.Gumbel::entropy()",
            "TorchSharp.Modules.Gumbel::get_mean()",
            "TorchSharp.Modules.Gumbel::get_stddev()",
            "TorchSharp.Modules.Gumbel::get_variance()",
            "TorchSharp.Modules.HalfCauchy::cdf(Tensor)",
            "TorchSharp.Modules.HalfCauchy::entropy()",
            "TorchSharp.Modules.HalfCauchy::expand(Size, Distribution)",
            "TorchSharp.Modules.HalfCauchy::get_mean()",
            "TorchSharp.Modules.HalfCauchy::icdf(Tensor)",
            "TorchSharp.Modules.HalfCauchy::log_prob(Tensor)",
            "TorchSharp.Modules.HalfNormal::cdf(Tensor)",
            "TorchSharp.Modules.HalfNormal::entropy()",
            "TorchSharp.Modules.HalfNormal::get_mean()",
            "TorchSharp.Modules.HalfNormal::get_variance()",
            "TorchSharp.Modules.HalfNormal::icdf(Tensor)",
            "TorchSharp.Modules.HalfNormal::log_prob(Tensor)",
            "TorchSharp.Modules.Hardtanh::forward(Tensor)",
            "TorchSharp.Modules.Kumaraswamy::entropy()",
            "TorchSharp.Modules.Kumaraswamy::expand(Size, Distribution)",
            "TorchSharp.Modules.Kumaraswamy::get_mean()",
            "TorchSharp.Modules.Kumaraswamy::get_mode()",
            "TorchSharp.Modules.Kumaraswamy::get_variance()",
            "TorchSharp.Modules.Laplace::cdf(Tensor)",
            "TorchSharp.Modules.Laplace::entropy()",
            "TorchSharp.Modules.Laplace::get_stddev()",
            "TorchSharp.Modules.Laplace::get_variance()",
            "TorchSharp.Modules.Laplace::icdf(Tensor)",
            "TorchSharp.Modules.Laplace::log_prob(Tensor)",
            "TorchSharp.Modules.LeakyReLU::forward(Tensor)",
            "TorchSharp.Modules.LogNormal::entropy()",
            "TorchSharp.Modules.LogNormal::get_mean()",
            "TorchSharp.Modules.LogNormal::get_mode()",
            "TorchSharp.Modules.LogNormal::get_variance()",
            "TorchSharp.Modules.LogitRelaxedBernoulli::entropy()",
            "TorchSharp.Modules.LogitRelaxedBernoulli::get_logits()",
            "TorchSharp.Modules.LogitRelaxedBernoulli::get_variance()",
            "TorchSharp.Modules.LogitRelaxedBernoulli::log_prob(Tensor)",
            "TorchSharp.Modules.LogitRelaxedBernoulli::rsample(Int64[])",
            "TorchSharp.Modules.Mish::forward(Tensor)",
            "TorchSharp.Modules.Multinomial::get_logits()",
            "TorchSharp.Modules.Multinomial::get_mean()",
            "TorchSharp.Modules.Multinomial::get_variance()",
            "TorchSharp.Modules.Multinomial::log_prob(Tensor)",
            "TorchSharp.Modules.MultivariateNormal::entropy()",
            "TorchSharp.Modules.MultivariateNormal::get_variance()",
            "TorchSharp.Modules.MultivariateNormal::log_prob(Tensor)",
            "TorchSharp.Modules.MultivariateNormal::rsample(Int64[])",
            "TorchSharp.Modules.NAdam::step(Func`1<Tensor>)",
            "TorchSharp.Modules.NegativeBinomial::.ctor(Tensor, Tensor, Tensor, Generator)",
            "TorchSharp.Modules.NegativeBinomial::expand(Size, Distribution)",
            "TorchSharp.Modules.NegativeBinomial::get_mode()",
            "TorchSharp.Modules.NegativeBinomial::log_prob(Tensor)",
            "TorchSharp.Modules.Normal::cdf(Tensor)",
            "TorchSharp.Modules.Normal::entropy()",
            "TorchSharp.Modules.Normal::get_variance()",
            "TorchSharp.Modules.Normal::icdf(Tensor)",
            "TorchSharp.Modules.Normal::log_prob(Tensor)",
            "TorchSharp.Modules.Normal::rsample(Int64[])",
            "TorchSharp.Modules.Normal::sample(Int64[])",
            "TorchSharp.Modules.OneHotCategorical::.ctor(Tensor, Tensor, Generator)",
            "TorchSharp.Modules.OneHotCategorical::expand(Size, Distribution)",
            "TorchSharp.Modules.OneHotCategorical::get_logits()",
            "TorchSharp.Modules.OneHotCategorical::get_variance()",
            "TorchSharp.Modules.Pareto::entropy()",
            "TorchSharp.Modules.Pareto::get_mean()",
            "TorchSharp.Modules.Pareto::get_variance()",
            "TorchSharp.Modules.Poisson::cdf(Tensor)",
            "TorchSharp.Modules.Poisson::icdf(Tensor)",
            "TorchSharp.Modules.Poisson::log_prob(Tensor)",
            "TorchSharp.Modules.RAdam::step(Func`1<Tensor>)",
            "TorchSharp.Modules.RMSProp::step(Func`1<Tensor>)",
            "TorchSharp.Modules.RelaxedBernoulli::expand(Size, Distribution)",
            "TorchSharp.Modules.RelaxedBernoulli::get_logits()",
            "TorchSharp.Modules.RelaxedBernoulli::get_temperature()",
            "TorchSharp.Modules.RelaxedOneHotCategorical::expand(Size, Distribution)",
            "TorchSharp.Modules.RelaxedOneHotCategorical::get_logits()",
            "TorchSharp.Modules.RelaxedOneHotCategorical::get_temperature()",
            "TorchSharp.Modules.Rprop+State::Initialize(OptimizerOptions)",
            "TorchSharp.Modules.Rprop::step(Func`1<Tensor>)",
            "TorchSharp.Modules.SGD::step(Func`1<Tensor>)",
            "TorchSharp.Modules.Softplus::forward(Tensor)",
            "TorchSharp.Modules.Softsign::forward(Tensor)",
            "TorchSharp.Modules.SummaryWriter::add_histogram(String, Tensor, Int32, HistogramBinSelector, Nullable`1<Int64>, Nullable`1<Int64>)",
            "TorchSharp.Modules.SummaryWriter::add_img(String, Tensor, Int32, Nullable`1<Int64>, String)",
            "TorchSharp.Modules.SummaryWriter::add_video(String, Tensor, Int32, Int32, Nullable`1<Int64>)",
            "TorchSharp.Modules.Threshold::forward(Tensor)",
            "TorchSharp.Modules.TransformedDistribution::cdf(Tensor)",
            "TorchSharp.Modules.TransformedDistribution::icdf(Tensor)",
            "TorchSharp.Modules.TransformedDistribution::log_prob(Tensor)",
            "TorchSharp.Modules.Uniform::cdf(Tensor)",
            "TorchSharp.Modules.Uniform::get_mean()",
            "TorchSharp.Modules.Uniform::get_mode()",
            "TorchSharp.Modules.Uniform::get_variance()",
            "TorchSharp.Modules.Uniform::icdf(Tensor)",
            "TorchSharp.Modules.Uniform::rsample(Int64[])",
            "TorchSharp.Modules.Weibull::entropy()",
            "TorchSharp.Modules.Weibull::get_mean()",
            "TorchSharp.Modules.Weibull::get_mode()",
            "TorchSharp.Modules.Weibull::get_variance()",
            "TorchSharp.torch+Tensor::add(Scalar)",
            "TorchSharp.torch+Tensor::add(Tensor)",
            "TorchSharp.torch+Tensor::add_(Scalar)",
            "TorchSharp.torch+Tensor::add_(Tensor)",
            "TorchSharp.torch+Tensor::addcdiv(Tensor, Tensor)",
            "TorchSharp.torch+Tensor::addcdiv_(Tensor, Tensor)",
            "TorchSharp.torch+Tensor::celu()",
            "TorchSharp.torch+Tensor::celu_()",
            "TorchSharp.torch+Tensor::elu(Double)",
            "TorchSharp.torch+Tensor::elu_(Double)",
            "TorchSharp.torch+Tensor::op_Addition(Double, Tensor)",
            "TorchSharp.torch+Tensor::op_Addition(Int32, Tensor)",
            "TorchSharp.torch+Tensor::op_Addition(Int64, Tensor)",
            "TorchSharp.torch+Tensor::op_Addition(Scalar, Tensor)",
            "TorchSharp.torch+Tensor::op_Addition(Single, Tensor)",
            "TorchSharp.torch+Tensor::op_Addition(Tensor, Double)",
            "TorchSharp.torch+Tensor::op_Addition(Tensor, Int32)",
            "TorchSharp.torch+Tensor::op_Addition(Tensor, Int64)",
            "TorchSharp.torch+Tensor::op_Addition(Tensor, Scalar)",
            "TorchSharp.torch+Tensor::op_Addition(Tensor, Single)",
            "TorchSharp.torch+Tensor::op_Addition(Tensor, Tensor)",
            "TorchSharp.torch+Tensor::op_Division(Double, Tensor)",
            "TorchSharp.torch+Tensor::op_Division(Int32, Tensor)",
            "TorchSharp.torch+Tensor::op_Division(Int64, Tensor)",
            "TorchSharp.torch+Tensor::op_Division(Single, Tensor)",
            "TorchSharp.torch+Tensor::op_Division(Tensor, Double)",
            "TorchSharp.torch+Tensor::op_Division(Tensor, Int32)",
            "TorchSharp.torch+Tensor::op_Division(Tensor, Int64)",
            "TorchSharp.torch+Tensor::op_Division(Tensor, Single)",
            "TorchSharp.torch+Tensor::op_Modulus(Tensor, Double)",
            "TorchSharp.torch+Tensor::op_Modulus(Tensor, Int32)",
            "TorchSharp.torch+Tensor::op_Modulus(Tensor, Int64)",
            "TorchSharp.torch+Tensor::op_Modulus(Tensor, Single)",
            "TorchSharp.torch+Tensor::op_Multiply(Double, Tensor)",
            "TorchSharp.torch+Tensor::op_Multiply(Int32, Tensor)",
            "TorchSharp.torch+Tensor::op_Multiply(Int64, Tensor)",
            "TorchSharp.torch+Tensor::op_Multiply(Single, Tensor)",
            "TorchSharp.torch+Tensor::op_Multiply(Tensor, Double)",
            "TorchSharp.torch+Tensor::op_Multiply(Tensor, Int32)",
            "TorchSharp.torch+Tensor::op_Multiply(Tensor, Int64)",
            "TorchSharp.torch+Tensor::op_Multiply(Tensor, Single)",
            "TorchSharp.torch+Tensor::op_Subtraction(Double, Tensor)",
            "TorchSharp.torch+Tensor::op_Subtraction(Int32, Tensor)",
            "TorchSharp.torch+Tensor::op_Subtraction(Int64, Tensor)",
            "TorchSharp.torch+Tensor::op_Subtraction(Scalar, Tensor)",
            "TorchSharp.torch+Tensor::op_Subtraction(Single, Tensor)",
            "TorchSharp.torch+Tensor::op_Subtraction(Tensor, Double)",
            "TorchSharp.torch+Tensor::op_Subtraction(Tensor, Int32)",
            "TorchSharp.torch+Tensor::op_Subtraction(Tensor, Int64)",
            "TorchSharp.torch+Tensor::op_Subtraction(Tensor, Single)",
            "TorchSharp.torch+Tensor::softplus(Double, Double)",
            "TorchSharp.torch+Tensor::square()",
            "TorchSharp.torch+distributions+ExponentialFamily::entropy()",
            "TorchSharp.torch+distributions+constraints+_Boolean::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_CorrCholesky::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_GreaterThan::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_GreaterThanEq::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_HalfOpenInterval::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_IntegerGreaterThan::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_IntegerInterval::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_IntegerLessThan::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_Interval::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_LessThan::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_LowerCholesky::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_Multinomial::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_OneHot::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_PositiveDefinite::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_PositiveSemiDefinite::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_Simplex::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_Square::check(Tensor)",
            "TorchSharp.torch+distributions+constraints+_Symmetric::check(Tensor)",
            "TorchSharp.torch+distributions::Binomial(Int32, Nullable`1<Double>, Nullable`1<Double>, Generator)",
            "TorchSharp.torch+distributions::Binomial(Int32, Nullable`1<Single>, Nullable`1<Single>, Generator)",
            "TorchSharp.torch+distributions::Binomial(Tensor, Tensor, Tensor, Generator)",
            "TorchSharp.torch+distributions::Cauchy(Tensor, Tensor, Generator)",
            "TorchSharp.torch+distributions::Chi2(Tensor, Generator)",
            "TorchSharp.torch+distributions::FisherSnedecor(Tensor, Tensor, Generator)",
            "TorchSharp.torch+distributions::Gumbel(Tensor, Tensor, Generator)",
            "TorchSharp.torch+distributions::HalfCauchy(Tensor, Generator)",
            "TorchSharp.torch+distributions::Kumaraswamy(Tensor, Tensor, Generator)",
            "TorchSharp.torch+distributions::NegativeBinomial(Int32, Nullable`1<Double>, Nullable`1<Double>, Generator)",
            "TorchSharp.torch+distributions::NegativeBinomial(Int32, Nullable`1<Single>, Nullable`1<Single>, Generator)",
            "TorchSharp.torch+distributions::NegativeBinomial(Tensor, Tensor, Tensor, Generator)",
            "TorchSharp.torch+distributions::OneHotCategorical(Nullable`1<Double>, Nullable`1<Double>, Generator)",
            "TorchSharp.torch+distributions::OneHotCategorical(Nullable`1<Single>, Nullable`1<Single>, Generator)",
            "TorchSharp.torch+distributions::OneHotCategorical(Tensor, Tensor, Generator)",
            "TorchSharp.torch+jit+CompilationUnit::invoke(String, !!0[])",
            "TorchSharp.torch+jit+CompilationUnit::invoke(String, Object[])",
            "TorchSharp.torch+jit+ScriptModule::call(Object[])",
            "TorchSharp.torch+jit+ScriptModule::forward(Object[])",
            "TorchSharp.torch+jit+ScriptModule::invoke(String, !!0[])",
            "TorchSharp.torch+jit+ScriptModule::invoke(String, Object[])",
            "TorchSharp.torch+jit+ScriptModule`1::forward(Tensor[])",
            "TorchSharp.torch+jit+ScriptModule`2::forward(!0)",
            "TorchSharp.torch+jit+ScriptModule`3::forward(!0, !1)",
            "TorchSharp.torch+linalg::matrix_norm(Tensor, Double, Int64[], Boolean)",
            "TorchSharp.torch+linalg::vector_norm(Tensor, Double, Int64[], Boolean)",
            "TorchSharp.torch+nn+functional::Hardtanh(Tensor, Double, Double, Boolean)",
            "TorchSharp.torch+nn+functional::Mish(Tensor)",
            "TorchSharp.torch+nn+functional::Softsign(Tensor)",
            "TorchSharp.torch+nn+functional::Threshold(Tensor, Double, Double, Boolean)",
            "TorchSharp.torch+nn+functional::celu(Tensor, Double, Boolean)",
            "TorchSharp.torch+nn+functional::elu(Tensor, Double, Boolean)",
            "TorchSharp.torch+nn+functional::hardtanh(Tensor, Double, Double, Boolean)",
            "TorchSharp.torch+nn+functional::leaky_relu(Tensor, Double, Boolean)",
            "TorchSharp.torch+nn+functional::mish(Tensor, Boolean)",
            "TorchSharp.torch+nn+functional::softplus(Tensor, Double, Double)",
            "TorchSharp.torch+nn+functional::softsign(Tensor, Boolean)",
            "TorchSharp.torch+nn+functional::threshold(Tensor, Double, Double, Boolean)",
            "TorchSharp.torch+nn+utils::fuse_conv_bn_weights(Tensor, Tensor, Tensor, Tensor, Double, Tensor, Tensor, Boolean)",
            "TorchSharp.torch+nn+utils::fuse_linear_bn_eval(Linear, BatchNorm)",
            "TorchSharp.torch+nn+utils::fuse_linear_bn_weights(Tensor, Tensor, Tensor, Tensor, Double, Tensor, Tensor)",
            "TorchSharp.torch+nn::PReLU(Int64, Double, Device, Nullable`1<ScalarType>)",
            "TorchSharp.torch+utils+tensorboard+Summary::histogram(String, Tensor, HistogramBinSelector, Nullable`1<Int64>)",
            "TorchSharp.torch+utils+tensorboard+Summary::histogram(String, Tensor, Tensor, Nullable`1<Int64>)",
            "TorchSharp.torch+utils+tensorboard+Summary::image(String, Tensor, Double, String)",
            "TorchSharp.torch+utils+tensorboard+Summary::make_histogram(Tensor, HistogramBinSelector, Nullable`1<Int64>)",
            "TorchSharp.torch+utils+tensorboard+Summary::make_histogram(Tensor, Tensor, Nullable`1<Int64>)",
            "TorchSharp.torch+utils+tensorboard+Summary::video(String, Tensor, Int32)",
            "TorchSharp.torch::add(Tensor, Scalar)",
            "TorchSharp.torch::add(Tensor, Tensor)",
            "TorchSharp.torch::add_(Tensor, Scalar)",
            "TorchSharp.torch::add_(Tensor, Tensor)",
            "TorchSharp.torch::arange(Scalar, Nullable`1<ScalarType>, Device, Boolean)",
            "TorchSharp.torch::arange(Scalar, Scalar, Nullable`1<ScalarType>, Device, Boolean)",
            "TorchSharp.torch::histogram(Tensor, HistogramBinSelector, Nullable`1<ValueTuple`2<Double,Double>>, Boolean)",
            "TorchSharp.torch::normal(Double, Double, ReadOnlySpan`1<Int64>, Nullable`1<ScalarType>, Device, Boolean, Generator, String[])",
            "TorchSharp.torch::normal(Tensor, Tensor, Generator)",
            "TorchSharp.torch::square(Tensor)",
        };

        /// <summary>The key of a method (a property's getter, an operator, a constructor) in the form of <see cref="Keys"/>.</summary>
        public static string KeyOf(IMethodSymbol method)
        {
            var definition = method.OriginalDefinition;
            var parameters = string.Join(", ", definition.Parameters.Select(p => (p.RefKind == RefKind.None ? "" : "ref ") + TypeKey(p.Type)));
            return TypeName(definition.ContainingType) + "::" + definition.MetadataName + "(" + parameters + ")";
        }

        /// <summary>How a diagnostic names the member: <c>Tensor.square()</c>, <c>operator +(Tensor, Tensor)</c>.</summary>
        public static string DisplayName(IMethodSymbol method) =>
            method.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);

        /// <summary>
        /// What to write instead, for the diagnostic's message: first the method of <c>Functional.Core.SafeArithmetic</c>
        /// that holds its Scalars itself (<c>a.Plus(b)</c>, <c>x.Times(2.0)</c>), where one exists for the operand
        /// types, then the held form it stands for.
        /// </summary>
        public static string Suggestion(IMethodSymbol method)
        {
            var numberFirst = method.Parameters.Length == 2 && method.Parameters[0].Type.SpecialType != SpecialType.None;
            var scalarFirst = method.Parameters.Length == 2 && method.Parameters[0].Type.Name == "Scalar";
            var scalarOperand = method.Parameters.Any(p => p.Type.Name == "Scalar");
            const string held = " with 'using var s = value.ToScalar();'";
            const string safe = " (Functional.Core.SafeArithmetic, which holds its Scalars) or ";
            string Either(string safeForm, string heldForm) => scalarOperand ? heldForm : "'" + safeForm + "'" + safe + heldForm;
            switch (method.Name)
            {
                case "op_Addition":
                case "add":
                case "add_":
                    if (method.Parameters.All(p => p.Type.Name == "Tensor"))
                        return method.Name == "add_" ? "'x.add_(y, Scalars.One)' (Functional.Core.Scalars)" : "'x.Plus(y)'" + safe + "'x.add(y, Scalars.One)' (Functional.Core.Scalars)";
                    return Either("x.Plus(value)", "'x.add(s, Scalars.One)'" + held);
                case "op_Subtraction":
                    return numberFirst || scalarFirst
                        ? Either("x.SubtractedFrom(value)", "'x.neg().add(s, Scalars.One)'" + held)
                        : Either("x.Minus(value)", "'x.sub(s)'" + held);
                case "op_Multiply":
                    return Either("x.Times(value)", "'x.mul(s)'" + held);
                case "op_Division":
                    return numberFirst ? Either("x.DividedInto(value)", "'x.reciprocal().mul(s)'" + held) : Either("x.DividedBy(value)", "'x.div(s)'" + held);
                case "op_Modulus":
                    return "'x.remainder(s)'" + held;
                case "square":
                    return "'x.Squared()'" + safe + "'x.pow(Scalars.Two)' (what square() computes, gradient included)";
                case "addcdiv":
                case "addcdiv_":
                    return "'addcdiv(a, b, Scalars.One)'";
                default:
                    return "an overload that takes a Scalar you hold" + held + ", or the same computation from operations that do";
            }
        }

        static string TypeName(INamedTypeSymbol type) =>
            type.ContainingType is { } outer
                ? TypeName(outer) + "+" + type.MetadataName
                : (type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." : "") + type.MetadataName;

        static string TypeKey(ITypeSymbol type) => type switch
        {
            IArrayTypeSymbol array => TypeKey(array.ElementType) + "[]",
            IPointerTypeSymbol pointer => TypeKey(pointer.PointedAtType) + "*",
            ITypeParameterSymbol parameter => (parameter.TypeParameterKind == TypeParameterKind.Method ? "!!" : "!") + parameter.Ordinal,
            INamedTypeSymbol { IsGenericType: true } generic =>
                generic.MetadataName + "<" + string.Join(",", generic.TypeArguments.Select(TypeKey)) + ">",
            _ => type.MetadataName,
        };
    }
}
