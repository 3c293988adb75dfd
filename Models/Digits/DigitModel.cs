namespace Functional.Models.Digits;

/// <summary>Which digit classifier <see cref="MnistTraining"/> trains.</summary>
public enum DigitModel
{
    /// <summary><see cref="DigitClassifier"/>: a multi-layer perceptron with dropout (the default).</summary>
    Mlp,

    /// <summary><see cref="ConvDigitClassifier"/>: two convolution blocks with batch normalisation, whose statistics are model state.</summary>
    Conv,
}
