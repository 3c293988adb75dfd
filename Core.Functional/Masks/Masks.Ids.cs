using TorchSharp;

namespace Functional.Core;

// Masks: the vocabulary ids that masks know about (padding and the unknown token).
public static partial class Masks
{
    /// <summary>The id of padding in token sequences (masked out by <see cref="FromPadIds"/>).</summary>
    public const long PadId = 0;

    /// <summary><see cref="PadId"/> as a Scalar that lives for the process (see <see cref="Scalars"/>).</summary>
    static readonly Scalar PadIdScalar = PadId.ToScalar();

    /// <summary>The id of an unknown token: a real token, distinct from <see cref="PadId"/>.</summary>
    public const long UnknownId = 1;
}
