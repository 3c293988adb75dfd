namespace Functional.Models.Titles;

/// <summary>An article and the title written for it.</summary>
/// <param name="Title">The reference title.</param>
/// <param name="Content">The article text.</param>
public sealed record TitlePair(string Title, string Content);
