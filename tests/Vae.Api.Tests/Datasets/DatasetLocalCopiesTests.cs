using Microsoft.Extensions.Logging.Abstractions;
using Vae.Api.Datasets;

namespace Vae.Api.Tests.Datasets;

/// <summary>A node's copies of datasets kept elsewhere: whole or absent, one per dataset however many ask at once.</summary>
public sealed class DatasetLocalCopiesTests : IDisposable
{
    private const string Id = "d0123456789ab";

    private readonly string _root = Directory.CreateTempSubdirectory("vae-copies-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private DatasetLocalCopies Copies() => new(_root, TimeProvider.System, NullLogger.Instance);

    private static Stream Content(string file) => new MemoryStream(System.Text.Encoding.UTF8.GetBytes("bytes of " + file));

    private string[] Entries() => [.. Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName).Order()!];

    [Fact]
    public async Task A_copy_cut_short_leaves_nothing_behind_and_the_next_try_makes_a_whole_one()
    {
        var copies = Copies();
        int served = 0;

        await Assert.ThrowsAsync<IOException>(() => copies.EnsureAsync(Id, (file, _) =>
            ++served < 3 ? Task.FromResult<Stream?>(Content(file)) : throw new IOException("connection lost"), CancellationToken.None));

        Assert.Empty(Entries());
        string folder = await copies.EnsureAsync(Id, (file, _) => Task.FromResult<Stream?>(Content(file)), CancellationToken.None);
        Assert.Equal([Id], Entries());
        Assert.Equal(DatasetFiles.Names.Order(), Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal("bytes of test-labels.idx", File.ReadAllText(Path.Combine(folder, "test-labels.idx")));
    }

    [Fact]
    public async Task A_dataset_the_store_no_longer_has_is_not_copied()
    {
        var copies = Copies();

        await Assert.ThrowsAsync<FileNotFoundException>(() => copies.EnsureAsync(Id, (_, _) => Task.FromResult<Stream?>(null), CancellationToken.None));

        Assert.Empty(Entries());
    }

    [Fact]
    public async Task Callers_asking_at_once_share_one_copy_and_each_file_is_fetched_once()
    {
        var copies = Copies();
        int opened = 0;
        async Task<Stream?> Slowly(string file, CancellationToken ct)
        {
            Interlocked.Increment(ref opened);
            await Task.Delay(20, ct);
            return Content(file);
        }

        string[] folders = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => copies.EnsureAsync(Id, Slowly, CancellationToken.None))));

        Assert.Equal(DatasetFiles.Names.Count, opened);
        Assert.All(folders, f => Assert.Equal(Path.Combine(_root, Id), f));
        Assert.Equal([Id], Entries());
    }

    [Fact]
    public async Task A_dropped_copy_is_gone_and_an_old_unfinished_one_is_removed_while_a_young_one_is_kept()
    {
        var copies = Copies();
        await copies.EnsureAsync(Id, (file, _) => Task.FromResult<Stream?>(Content(file)), CancellationToken.None);
        string old = copies.Folders.CreateWorkFolder("copy");
        File.WriteAllText(Path.Combine(old, "train-images.idx"), "half");
        File.SetLastWriteTimeUtc(Path.Combine(old, "train-images.idx"), DateTime.UtcNow.AddHours(-2));
        Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));
        string young = copies.Folders.CreateWorkFolder("copy");

        Assert.True(copies.Drop(Id));
        Assert.False(copies.Drop(Id));
        copies.Folders.RemoveStale();

        Assert.Equal([Path.GetFileName(young)], Entries());
    }
}
