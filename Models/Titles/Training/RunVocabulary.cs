using Functional.Models.Text;
using Functional.Training;

namespace Functional.Models.Titles;

/// <summary>
/// The vocabulary a training run is bound to: fixed by the run's first invocation and kept in its out folder as
/// <see cref="FileName"/>, with its checksum (<see cref="CharacterVocabulary.Sha256"/>) in <see cref="ChecksumFileName"/>
/// (the format of <c>sha256sum</c>). A resumed run checks the file against its checksum and against the vocabulary its
/// corpus builds, so that a damaged file is reported as damaged (and repaired when the corpus gives the recorded
/// vocabulary again) and another corpus is refused up front, naming both, instead of failing later or being mistaken
/// for another model.
/// </summary>
public static class RunVocabulary
{
    /// <summary>The run's vocabulary, one character a line (<see cref="CharacterVocabulary.Save"/>).</summary>
    public const string FileName = "train-vocabulary.txt";

    /// <summary>The file recording the vocabulary's checksum.</summary>
    public const string ChecksumFileName = "train-vocabulary.txt.sha256";

    /// <summary>
    /// Writes <paramref name="vocabulary"/> and its checksum into <paramref name="folder"/>, each atomically (the
    /// vocabulary first: a crash between the two leaves a checksum that <see cref="Resolve"/> reports, never a silent mix).
    /// </summary>
    public static void Save(string folder, CharacterVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        vocabulary.Save(Path.Combine(folder, FileName));
        AtomicFile.WriteAllText(Path.Combine(folder, ChecksumFileName), $"{vocabulary.Sha256}  {FileName}\n");
    }

    /// <summary>
    /// The vocabulary a run in <paramref name="folder"/> trains with. A run that starts afresh (<paramref name="resuming"/>
    /// false) takes <paramref name="built"/>, the vocabulary of its corpus. A resumed run takes the saved one when it
    /// verifies and equals <paramref name="built"/>; a damaged saved file (it does not read, or does not match the recorded
    /// checksum) is replaced by <paramref name="built"/> when that has the recorded checksum, saying so on
    /// <paramref name="output"/>. A folder from before checksums were recorded has none to check: a missing or unreadable
    /// file is built again with a warning, and a file that is a strict prefix of <paramref name="built"/> counts as truncated.
    /// </summary>
    /// <param name="folder">The run's out folder.</param>
    /// <param name="built">The vocabulary the corpus given now builds.</param>
    /// <param name="corpus">The corpus given now, for messages (its folder or name).</param>
    /// <param name="resuming">Whether the run resumes from checkpoints in the folder.</param>
    /// <param name="output">Where warnings and repairs are reported.</param>
    /// <exception cref="InvalidDataException">
    /// The saved vocabulary is intact but differs from <paramref name="built"/> (the run was started on another corpus),
    /// or it is damaged and <paramref name="built"/> is not the recorded one: the message names both files, the corpus and
    /// the first differing id, and says that the checkpoints are intact.
    /// </exception>
    public static CharacterVocabulary Resolve(string folder, CharacterVocabulary built, string corpus, bool resuming, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(built);
        ArgumentNullException.ThrowIfNull(output);
        if (!resuming) return built;
        var path = Path.Combine(folder, FileName);
        var checksumPath = Path.Combine(folder, ChecksumFileName);
        var recorded = ReadChecksum(checksumPath);
        CharacterVocabulary? saved = null;
        string? damage = null;
        if (!File.Exists(path)) damage = "it is missing";
        else
        {
            try
            {
                saved = CharacterVocabulary.Load(path);
                // Save ends every line, so a last line without its end is the mark of a truncated file.
                var cut = File.ReadAllBytes(path) is { Length: > 0 } bytes && bytes[^1] != (byte)'\n';
                if (saved.Size <= 4) damage = "it is empty";
                else if (recorded is not null && saved.Sha256 != recorded)
                    damage = $"it reads as {saved.Size} ids with SHA-256 {saved.Sha256}, but {checksumPath} records {recorded}"
                             + (cut ? " (its last line is cut: the file is truncated)" : "");
                else if (recorded is null && (cut || saved.IsPrefixOf(built)) && saved.Sha256 != built.Sha256)
                    damage = cut
                        ? "its last line is cut (the file is truncated; the folder records no checksum)"
                        : $"it holds only the first {saved.Size} of the {built.Size} ids the corpus {corpus} builds (it is truncated; the folder records no checksum)";
            }
            catch (InvalidDataException error)
            {
                damage = $"it does not read ({error.Message})";
            }
        }

        if (damage is null)
        {
            // An intact vocabulary: the run's, which the corpus must give again.
            if (saved!.Sha256 == built.Sha256) return saved;
            throw new InvalidDataException(
                $"The run in {folder} was started on another corpus: its vocabulary {path} has {saved.Size} ids (SHA-256 {saved.Sha256}), "
                + $"the corpus {corpus} builds {built.Size} ids (SHA-256 {built.Sha256}); {saved.FirstDifference(built)}. "
                + "Resume with the data (and --min-count) the run was started with, or train on this corpus into another --out folder. Nothing was changed.");
        }
        if (recorded is null || recorded == built.Sha256)
        {
            output.WriteLine($"Warning: the run's vocabulary {path} is damaged: {damage}. "
                             + (recorded is null
                                 ? $"The folder records no checksum to check a rebuilt one against; it is built again from the corpus {corpus}."
                                 : $"The corpus {corpus} builds the vocabulary {checksumPath} records, so it was written again."));
            Save(folder, built);
            return built;
        }
        throw new InvalidDataException(
            $"The run's vocabulary {path} is damaged: {damage}. It cannot be rebuilt from the corpus {corpus}, which builds another vocabulary "
            + $"({built.Size} ids, SHA-256 {built.Sha256}; {checksumPath} records {recorded}). "
            + $"The checkpoints are intact: restore {path} from a copy, or resume with the corpus the run was started on. Nothing was changed.");
    }

    /// <summary>The checksum recorded in <paramref name="path"/>, or null when the file is missing or names none.</summary>
    static string? ReadChecksum(string path)
    {
        if (!File.Exists(path)) return null;
        var text = File.ReadAllText(path).Trim();
        var hash = text.Split(' ', 2)[0];
        return hash.Length == 64 && hash.All(Uri.IsHexDigit) ? hash.ToLowerInvariant() : null;
    }
}
