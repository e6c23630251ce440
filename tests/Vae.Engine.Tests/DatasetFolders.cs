using System.Diagnostics;

namespace Vae.Engine.Tests;

/// <summary>
/// Where the real dataset files are for tests: ROOT/NAME, ROOT being $VAE_DATA_DIR or
/// ~/.cache/vae/datasets as for the service. test.sh fetches them up front; a test run on its own
/// (an IDE, dotnet test) fetches what is missing with scripts/fetch-datasets.sh.
/// </summary>
internal static class DatasetFolders
{
    private static readonly Lock FetchLock = new();

    public static string Root
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("VAE_DATA_DIR");
            return string.IsNullOrWhiteSpace(root)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vae", "datasets")
                : Path.GetFullPath(root);
        }
    }

    /// <summary>The folder of dataset <paramref name="name"/>, fetched first when <paramref name="filesPresent"/> says it is incomplete.</summary>
    public static string Ensure(string name, Func<string, bool> filesPresent)
    {
        string directory = Path.Combine(Root, name);
        lock (FetchLock)
        {
            if (!filesPresent(directory))
            {
                Fetch(name);
                if (!filesPresent(directory))
                {
                    throw new InvalidOperationException($"scripts/fetch-datasets.sh {name} succeeded but '{directory}' still lacks some of the files.");
                }
            }
        }

        return directory;
    }

    private static void Fetch(string name)
    {
        string script = Path.Combine(RepositoryRoot(), "scripts", "fetch-datasets.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { script, name, "--dir", Root })
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {script}.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} {name} did not finish within 10 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"The {name} files are not in '{Path.Combine(Root, name)}' and {script} {name} failed (exit code {process.ExitCode}): " +
                $"{errors.Result}{output.Result}".Trim());
        }
    }

    /// <summary>The checkout this test assembly was built from: the first folder above it holding Vae.sln.</summary>
    internal static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Vae.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above '{AppContext.BaseDirectory}' holds Vae.sln, so scripts/fetch-datasets.sh cannot be found.");
    }
}
