namespace Vae.Engine.Data;

/// <summary>What the dataset readers tell a person whose files are missing or damaged.</summary>
internal static class DatasetFiles
{
    /// <summary>
    /// How to get <paramref name="dataset"/>'s files into <paramref name="directory"/>. The fetch
    /// script fills ROOT/NAME, so it can only be pointed at folders named like the dataset.
    /// </summary>
    public static string FetchAdvice(string dataset, string directory)
    {
        string full = Path.GetFullPath(directory);
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(full));
        string folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(full));
        if (parent is not null && folderName == dataset)
        {
            return $"Run scripts/fetch-datasets.sh {dataset} --dir '{parent}' to download the dataset (needs npm).";
        }

        return $"Run scripts/fetch-datasets.sh {dataset} --dir ROOT to download the dataset into ROOT/{dataset} (needs npm) and read it from there, " +
            $"or copy its files into '{full}'.";
    }

    /// <summary>"'a', 'b' do not exist", or one sentence for a folder that has none of the files.</summary>
    public static string DescribeMissing(string dataset, string directory, IReadOnlyList<string> missing, int expected)
    {
        if (missing.Count == expected)
        {
            return $"{dataset} is not in '{directory}': none of its {expected} files ({string.Join(", ", missing.Select(Path.GetFileName))}) is there.";
        }

        return missing.Count == 1
            ? $"{dataset} file '{missing[0]}' does not exist."
            : $"{dataset} files {string.Join(", ", missing.Select(p => $"'{p}'"))} do not exist.";
    }
}
