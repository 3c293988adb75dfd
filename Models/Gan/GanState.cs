namespace Functional.Models.Gan;

/// <summary>
/// The GAN's non-trained state: the discriminator's spectral-norm power-iteration vectors, or none without spectral
/// normalisation (a null field is a tree without leaves, so such a state checkpoints nothing).
/// </summary>
/// <param name="Spectral">The vectors, or null when the discriminator is not spectrally normalised.</param>
public sealed record GanState(SpectralVectors? Spectral);
