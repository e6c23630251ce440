using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Engine.Data;

namespace Vae.Api.Datasets;

/// <summary>A dataset's training and test images, as limited by the Datasets options.</summary>
public sealed record DatasetSplits(string Name, ImageDataset Train, ImageDataset Test);

/// <summary>
/// A dataset the service ships: how to describe it before it is fetched, and how to read its
/// verified files from their folder (the provisioner fetches them by name). Adding one is adding
/// it to <see cref="DatasetCatalog.BuiltIn"/> and its package to <see cref="DatasetPackage.All"/>.
/// </summary>
public sealed record BuiltInDataset(DatasetInfo Info, Func<string, (ImageDataset Train, ImageDataset Test)> Open)
{
    public string Id => Info.Id;

    public IReadOnlyList<string> ClassNames => Info.ClassNames!;

    public BuiltInDataset(string id, string name, string description, int channels, int height, int width, IReadOnlyList<string> classNames,
        int trainImages, int testImages, Func<string, (ImageDataset Train, ImageDataset Test)> open)
        : this(new DatasetInfo(id, name, description, channels, height, width, classNames, trainImages, testImages, BuiltIn: true, Fetched: false), open)
    {
    }
}

/// <summary>A dataset could not be fetched or read; the message says why and what to do.</summary>
public sealed class DatasetUnavailableException(string dataset, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Dataset { get; } = dataset;

    /// <summary>The upload was deleted (here or on another node).</summary>
    public static DatasetUnavailableException Deleted(string id) => new(id,
        $"Dataset '{id}' no longer exists: it was deleted. Upload the images again (POST /api/datasets) and train on the new dataset.");
}

/// <summary>
/// The datasets jobs can train on: the built-in ones and the uploads. Opening a built-in dataset
/// provisions its files on first use (into Datasets:Directory, else $VAE_DATA_DIR, else
/// ~/.cache/vae/datasets), applies TrainLimit/TestLimit, and keeps the result: datasets are
/// read-only, so every job shares the same bytes.
/// </summary>
public sealed class DatasetCatalog(
    IOptions<DatasetOptions> options, IHostEnvironment env, DatasetProvisioner provisioner, IDatasetUploads uploads, ILogger<DatasetCatalog> log)
{
    public static IReadOnlyList<BuiltInDataset> BuiltIn { get; } =
    [
        new(Mnist.Name, "MNIST", "Handwritten digits 0-9, 28x28 grayscale, white ink on black.", 1, 28, 28, Mnist.ClassNames, 60_000, 10_000,
            dir => (Mnist.Load(dir, DatasetSplit.Train), Mnist.Load(dir, DatasetSplit.Test))),
        new(FashionMnist.Name, "Fashion-MNIST", "Clothes in 10 classes, 28x28 grayscale; the last 1,000 images of each class are the test set.",
            1, FashionMnist.Height, FashionMnist.Width, FashionMnist.ClassNames, 60_000, 10_000, FashionMnist.LoadSplits),
        new(Cifar10.Name, "CIFAR-10", "Photos of 10 kinds of objects and animals, 32x32 colour.", Cifar10.Channels, Cifar10.Height, Cifar10.Width,
            Cifar10.ClassNames, 50_000, 10_000, dir => (Cifar10.Load(dir, DatasetSplit.Train), Cifar10.Load(dir, DatasetSplit.Test))),
    ];

    private readonly ConcurrentDictionary<string, Lazy<Task<DatasetSplits>>> _loaded = new(StringComparer.Ordinal);

    public static IEnumerable<string> BuiltInIds => BuiltIn.Select(s => s.Id);

    public static BuiltInDataset? FindBuiltIn(string? id) => BuiltIn.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>The built-in datasets first, then the uploads, newest first.</summary>
    public async Task<IReadOnlyList<DatasetInfo>> ListAsync(CancellationToken ct)
    {
        var all = BuiltIn.Select(Describe).ToList();
        all.AddRange(await uploads.ListAsync(ct));
        return all;
    }

    /// <summary>A dataset by id (built-in ids in any case); null when there is none.</summary>
    public async Task<DatasetInfo?> FindAsync(string? id, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id)) return null;
        if (FindBuiltIn(id) is { } builtIn) return Describe(builtIn);
        return await uploads.FindAsync(id.Trim(), ct);
    }

    /// <summary>The dataset's splits, read on the first call and shared after it.</summary>
    /// <exception cref="DatasetUnavailableException">There is no such dataset, or its files cannot be fetched or read.</exception>
    public async Task<DatasetSplits> OpenAsync(string id, CancellationToken ct)
    {
        string? builtIn = FindBuiltIn(id)?.Id;
        string key = builtIn ?? id;
        // An upload's images stay loaded after it is gone (a delete on another node whose event was
        // lost): they are handed out only while the store still has it.
        if (builtIn is null && _loaded.ContainsKey(key) && await uploads.FindAsync(key, ct) is null)
        {
            Forget(key);
            throw DatasetUnavailableException.Deleted(key);
        }
        var lazy = _loaded.GetOrAdd(key, _ => new Lazy<Task<DatasetSplits>>(() => LoadAsync(key)));
        try
        {
            // The load itself is not tied to one caller's token: another job may be waiting on it too.
            return await lazy.Value.WaitAsync(ct);
        }
        catch (DatasetUnavailableException)
        {
            // A failed load is not kept: the next job tries again (the files or the network may be back).
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<DatasetSplits>>>(key, lazy));
            throw;
        }
    }

    /// <summary>Drops a dataset's loaded images, e.g. after the upload was deleted.</summary>
    public void Forget(string id) => _loaded.TryRemove(id, out _);

    private string? Root => string.IsNullOrWhiteSpace(options.Value.Directory) ? null : Path.GetFullPath(options.Value.Directory, env.ContentRootPath);

    private DatasetInfo Describe(BuiltInDataset d) => d.Info with { Fetched = IsFetched(d.Id) };

    /// <summary>Whether every file of the dataset is in its folder (hashes are checked when it is opened).</summary>
    private bool IsFetched(string id)
    {
        var package = DatasetPackage.All.FirstOrDefault(p => p.Dataset == id);
        if (package is null) return false;
        string folder = Path.Combine(Root ?? DatasetProvisioner.DefaultRoot, id);
        return package.FileNames.All(f => File.Exists(Path.Combine(folder, f)));
    }

    private async Task<DatasetSplits> LoadAsync(string id)
    {
        var o = options.Value;
        (ImageDataset train, ImageDataset test) loaded;
        try
        {
            if (FindBuiltIn(id) is { } builtIn)
            {
                string directory = await provisioner.EnsureAsync(builtIn.Id, Root, CancellationToken.None);
                // Reading takes seconds of CPU (parsing JSON, decoding images): off the caller's thread.
                loaded = await Task.Run(() => builtIn.Open(directory));
            }
            else
            {
                loaded = await uploads.OpenAsync(id, CancellationToken.None);
            }
        }
        catch (DatasetUnavailableException)
        {
            throw;
        }
        catch (Exception e)
        {
            log.LogError(e, "Dataset {Dataset} could not be opened", id);
            throw new DatasetUnavailableException(id, $"Dataset '{id}' is not available: {e.Message}", e);
        }
        var train = o.TrainLimit > 0 ? loaded.train.Take(o.TrainLimit) : loaded.train;
        var test = o.TestLimit > 0 ? loaded.test.Take(o.TestLimit) : loaded.test;
        log.LogInformation("Dataset {Dataset} loaded: {Train} training and {Test} test images", id, train.Count, test.Count);
        return new DatasetSplits(id, train, test);
    }
}
