using FsCheck.Xunit;
using Xunit;
using Functional.Models.Text;

namespace Functional.PropertyTests.Titles;

[Properties(Arbitrary = new[] { typeof(SmallTexts) })]
public sealed class CharacterVocabularyTests
{
    [Property(MaxTest = 200)]
    public void Decode_of_encode_gives_back_a_text_of_known_characters(string[] corpus, string text)
    {
        var vocabulary = CharacterVocabulary.Build(corpus.Append(text), minimumCount: 1);

        var ids = vocabulary.Encode(text);

        Assert.All(ids, id => Assert.InRange(id, 4, vocabulary.Size - 1));
        Assert.Equal(string.Concat(Characters.Of(text)), vocabulary.Decode(ids.Append(CharacterVocabulary.End).Append(7)));
    }

    [Property(MaxTest = 200)]
    public void Rare_characters_are_unknown_and_common_ones_keep_their_id(string[] corpus)
    {
        var vocabulary = CharacterVocabulary.Build(corpus, minimumCount: 2);
        var counts = corpus.SelectMany(Characters.Of).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());

        foreach (var (character, count) in counts)
            Assert.Equal(count >= 2, vocabulary.Encode(character).Single() != CharacterVocabulary.Unknown);
        Assert.Equal(4 + counts.Count(p => p.Value >= 2), vocabulary.Size);
    }

    [Property(MaxTest = 100)]
    public void Save_then_load_gives_the_same_ids(string[] corpus)
    {
        var vocabulary = CharacterVocabulary.Build(corpus.Append("\\\t"), minimumCount: 1);
        var path = Path.GetTempFileName();
        try
        {
            vocabulary.Save(path);
            var loaded = CharacterVocabulary.Load(path);

            var text = string.Concat(corpus) + "\\";
            Assert.Equal(vocabulary.Size, loaded.Size);
            Assert.Equal(vocabulary.Encode(text), loaded.Encode(text));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// With Unknown sources, each kept id gives one character: a known id its own (it encodes back to the id), the i-th
    /// Unknown the article character at its i-th source, or '□' for source -1 or no source; End stops the text.
    /// </summary>
    [Property(MaxTest = 200)]
    public void An_unknown_with_a_source_reads_as_the_article_character_there_and_other_ids_as_before(string[] corpus, string article, int seed)
    {
        var vocabulary = CharacterVocabulary.Build(corpus, minimumCount: 2);
        var articleCharacters = Characters.Of(article);
        var random = new Random(seed);
        var ids = Enumerable.Range(0, random.Next(0, 12)).Select(_ => random.Next(3) == 0 ? CharacterVocabulary.Unknown : random.Next(0, vocabulary.Size)).ToArray();
        var kept = ids.TakeWhile(id => id != CharacterVocabulary.End).Where(id => id is not (CharacterVocabulary.Padding or CharacterVocabulary.Start)).ToArray();
        var unknowns = kept.Count(id => id == CharacterVocabulary.Unknown);
        // Sometimes fewer sources than unknowns: the rest read as '□'.
        var sources = Enumerable.Range(0, random.Next(Math.Max(0, unknowns - 1), unknowns + 1)).Select(_ => random.Next(-1, articleCharacters.Length)).ToArray();

        var text = Characters.Of(vocabulary.Decode(ids, sources, articleCharacters));

        Assert.Equal(kept.Length, text.Length);
        for (int k = 0, u = 0; k < kept.Length; k++)
            if (kept[k] != CharacterVocabulary.Unknown) Assert.Equal(new[] { kept[k] }, vocabulary.Encode(text[k]));
            else
            {
                var source = u < sources.Length ? sources[u] : -1;
                u++;
                Assert.Equal(source == -1 ? "□" : articleCharacters[source], text[k]);
            }
        Assert.Equal(vocabulary.Decode(ids), vocabulary.Decode(ids, [], articleCharacters));
    }

    [Fact]
    public void A_source_outside_the_article_is_refused()
    {
        var vocabulary = CharacterVocabulary.Build(["标题"], minimumCount: 1);
        string[] article = ["鑫", "标"];

        Assert.Equal("鑫题□", vocabulary.Decode([CharacterVocabulary.Unknown, vocabulary.Encode("题")[0], CharacterVocabulary.Unknown], [0, -1], article));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary.Decode([CharacterVocabulary.Unknown], [2], article));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary.Decode([CharacterVocabulary.Unknown], [-2], article));
    }

    [Fact]
    public void Reserved_ids_decode_as_documented_and_bad_ids_are_refused()
    {
        var vocabulary = CharacterVocabulary.Build(["标题"], minimumCount: 1);

        Assert.Equal("□题", vocabulary.Decode([CharacterVocabulary.Start, CharacterVocabulary.Unknown, CharacterVocabulary.Padding, vocabulary.Encode("题")[0]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary.Decode([vocabulary.Size]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CharacterVocabulary.Build([], minimumCount: 0));
    }
}
