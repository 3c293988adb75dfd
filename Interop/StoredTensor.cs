namespace Functional.Interop;

/// <summary>What a state-dict file says about one tensor before it is read.</summary>
/// <param name="Name">Its name in the file, as written (PyTorch's <c>encoder.weight</c> or our <c>encoder/weight</c>).</param>
/// <param name="Dtype">The file's dtype name (safetensors' <c>F32</c>, <c>BF16</c>, ...; for <c>.pth</c> the storage's, mapped to the same names).</param>
/// <param name="Shape">Its shape.</param>
public sealed record StoredTensor(string Name, string Dtype, long[] Shape);
