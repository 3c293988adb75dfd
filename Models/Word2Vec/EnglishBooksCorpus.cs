using System.Security.Cryptography;

namespace Functional.Models.Word2Vec;

/// <summary>
/// The 13 public-domain books of NLTK's Gutenberg selection (about 1.07 M words), the English word2vec corpus,
/// read from a path and checked against the SHA-256 of each published file.
/// </summary>
public static class EnglishBooksCorpus
{
    /// <summary>Where the corpus comes from.</summary>
    public const string Origin =
        "NLTK's Gutenberg selection (nltk/nltk nltk_data/corpora/gutenberg at commit 4dc39fbf6965509f7b74316eff239bd110a03b49, " +
        "bible-kjv.txt left out; two files re-encoded to UTF-8); the texts are Project Gutenberg e-texts in the public domain.";

    /// <summary>The books, in reading order, with their SHA-256.</summary>
    public static IReadOnlyList<(string File, string Sha256)> Books { get; } =
    [
        ("austen-emma.txt", "71b0923d75fcf2f1faa897b22da8de8e2476d7478a2b22388eb58a3420e00215"),
        ("austen-persuasion.txt", "cec097657cbfeb62aafe178973f514fa07ab66a5e28ea025ebd5d51ca870e40f"),
        ("austen-sense.txt", "57b169c7cfa502896dee25bd66616f61cc1d21084caf31f015176ee46fda9718"),
        ("blake-poems.txt", "840897a66e23a47dd1fd56b864f421b2be0af074dc081244f7995bf26939eee9"),
        ("chesterton-ball.txt", "99c228c288d0fec4023cf60043cb99d9f8991e4114d4a0b8400c3b5b137ca559"),
        ("chesterton-brown.txt", "67027976205b4b30e367c704807f56c8ffac3e8ea6037d993e57ab1fe28447ec"),
        ("chesterton-thursday.txt", "8b431a2a8db84089cd6f83fa66610c3b12c04114609df6e90137c0c58f2c5493"),
        ("melville-moby_dick.txt", "dc2466ee3c2e6e2ea1f86233d142e4b5578fdc1d6f0ca657bee7572202a980c7"),
        ("milton-paradise.txt", "49028a77c557de1459e96c026edbe72997be2d9015925f7baefb793cd6fe706f"),
        ("shakespeare-caesar.txt", "a62d5a50106f348e9de81ac1a5d2fd8840d34d012a2924fab172ef607dcf45b0"),
        ("shakespeare-hamlet.txt", "1eceab7027ad7e0cc25c6b6aadcb2e6bb070395cb2085f775ac732d63d5db240"),
        ("shakespeare-macbeth.txt", "d4a204352cfe5924cbae76f764225d120e9f7617d39cb8c949dedd3f306353ac"),
        ("whitman-leaves.txt", "93ebaf1dccc8f1514b4b1c2f52e64e81829113fc58cff63fb51ada0c72f99c3e"),
    ];

    /// <summary>The words of all books in order (<see cref="Words.Of"/>: lower-cased runs of letters).</summary>
    /// <exception cref="FileNotFoundException">A book is missing; the message says where the corpus comes from.</exception>
    /// <exception cref="InvalidDataException">A book is not the published file.</exception>
    public static string[] Load(string directory) =>
        Books.SelectMany(book =>
        {
            var path = Path.Combine(directory, book.File);
            if (!File.Exists(path))
                throw new FileNotFoundException(
                    $"Corpus file {path} not found. Pass the folder of the Gutenberg books (in this repository's environment: " +
                    $"../shared/data/gutenberg-nltk-en). Origin: {Origin}", path);
            var bytes = File.ReadAllBytes(path);
            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (actual != book.Sha256)
                throw new InvalidDataException($"{path} is not the published file: its SHA-256 is {actual}, expected {book.Sha256}.");
            return Words.Of(System.Text.Encoding.UTF8.GetString(bytes));
        }).ToArray();
}
