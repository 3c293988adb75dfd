using Functional.Core;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Models.Gan;

/// <summary>
/// Reads the newest checkpoint of a folder without writing to it: the checkpoint files are copied into a temporary
/// folder and loaded from there (<see cref="TrainStateFile.LoadLatest{TParams, TModelState}"/>),
/// so nothing the loader may write (a store creates its folder; a checkpoint whose manifest is missing gets it written
/// again) reaches a folder that another run may be writing to or that belongs to another run.
/// </summary>
public static class CheckpointCopy
{
    /// <summary>
    /// The newest checkpoint in <paramref name="folder"/> that loads against the templates and pipeline, or null when the
    /// folder has no checkpoint file (or does not exist).
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The folder has checkpoint files but none loads; the message gives each one's problem, names
    /// <paramref name="folder"/> (never the temporary copy) and gives no advice to start over.
    /// </exception>
    public static Resumption<TParams, TModelState>? LoadLatest<TParams, TModelState>(string folder, TParams template, TModelState modelStateTemplate, IGradientTransformation optimizer)
    {
        if (!Directory.Exists(folder)) return null;
        var files = Directory.EnumerateFiles(folder, "step-*.json").Concat(Directory.EnumerateFiles(folder, "step-*.safetensors")).ToArray();
        if (files.Length == 0) return null;
        var copy = Directory.CreateTempSubdirectory("checkpoint-copy-");
        try
        {
            foreach (var file in files) File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            try
            {
                return TrainStateFile.LoadLatest(new CheckpointStore(copy.FullName, keepLast: int.MaxValue), template, modelStateTemplate, optimizer);
            }
            catch (Exception error) when (error is InvalidDataException or IOException)
            {
                throw new InvalidDataException(AboutTheUsersFolder(error.Message, copy.FullName, folder), error);
            }
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A loader's <paramref name="message"/> about the temporary copy, told about the user's <paramref name="folder"/>:
    /// the copy's path becomes the folder's, and advice to start over (<c>--restart</c>, which would delete the checkpoints
    /// of a run that may still be good) is dropped, since reading never changes the folder.
    /// </summary>
    internal static string AboutTheUsersFolder(string message, string copyPath, string folder)
    {
        var named = message.Replace(copyPath, folder, StringComparison.Ordinal);
        var sentences = named.Split(". ").Where(sentence => !sentence.Contains("restart", StringComparison.OrdinalIgnoreCase));
        return $"{string.Join(". ", sentences).TrimEnd('.', ' ')}. Nothing in {folder} was changed (it is only read).";
    }
}
