namespace Functional.Models.Evaluation;

/// <summary>Character-level ROUGE F1 scores, each in [0, 1].</summary>
/// <param name="Rouge1">F1 of shared characters (with multiplicity).</param>
/// <param name="Rouge2">F1 of shared character bigrams (with multiplicity).</param>
/// <param name="RougeL">F1 of the longest common subsequence.</param>
public sealed record RougeScores(double Rouge1, double Rouge2, double RougeL);
