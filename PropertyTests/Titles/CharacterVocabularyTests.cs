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

    [Fact]
    public void Reserved_ids_decode_as_documented_and_bad_ids_are_refused()
    {
        var vocabulary = CharacterVocabulary.Build(["标题"], minimumCount: 1);

        Assert.Equal("□题", vocabulary.Decode([CharacterVocabulary.Start, CharacterVocabulary.Unknown, CharacterVocabulary.Padding, vocabulary.Encode("题")[0]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary.Decode([vocabulary.Size]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CharacterVocabulary.Build([], minimumCount: 0));
    }
}
