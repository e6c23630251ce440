using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Engine.Data;

namespace Vae.Api.Datasets;

/// <summary>A dataset's training and test images, as limited by the Datasets options.</summary>
public sealed record DatasetSplits(string Name, ImageDataset Train, ImageDataset Test);

/// <summary>
/// What the service knows about a dataset before opening it: its name, image shape, class names,
/// and how to read its verified files from their folder (the provisioner fetches them by name).
/// Adding a dataset is adding one of these to <see cref="DatasetCatalog.Sources"/> and its
/// package to <see cref="DatasetPackage.All"/>.
/// </summary>
public sealed record DatasetSource(
    string Name,
    string Description,
    int Channels,
    int Height,
    int Width,
    IReadOnlyList<string> ClassNames,
    Func<string, (ImageDataset Train, ImageDataset Test)> Open);

/// <summary>A dataset could not be fetched or read; the message says why and what to do.</summary>
public sealed class DatasetUnavailableException(string dataset, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Dataset { get; } = dataset;
}

/// <summary>
/// The datasets jobs can train on. Opening one provisions its files on first use (into
/// Datasets:Directory, else $VAE_DATA_DIR, else ~/.cache/vae/datasets), applies TrainLimit/TestLimit,
/// and keeps the result: datasets are read-only, so every job shares the same bytes.
/// </summary>
public sealed class DatasetCatalog(
    IOptions<DatasetOptions> options, IHostEnvironment env, DatasetProvisioner provisioner, ILogger<DatasetCatalog> log)
{
    public static IReadOnlyList<DatasetSource> Sources { get; } =
    [
        new(Mnist.Name, "MNIST handwritten digits, 28x28 grayscale", 1, 28, 28, Mnist.ClassNames,
            dir => (Mnist.Load(dir, DatasetSplit.Train), Mnist.Load(dir, DatasetSplit.Test))),
        new(FashionMnist.Name, "Fashion-MNIST clothing, 28x28 grayscale", 1, FashionMnist.Height, FashionMnist.Width, FashionMnist.ClassNames,
            FashionMnist.LoadSplits),
        new(Cifar10.Name, "CIFAR-10 photos, 32x32 colour", Cifar10.Channels, Cifar10.Height, Cifar10.Width, Cifar10.ClassNames,
            dir => (Cifar10.Load(dir, DatasetSplit.Train), Cifar10.Load(dir, DatasetSplit.Test))),
    ];

    private readonly ConcurrentDictionary<string, Lazy<Task<DatasetSplits>>> _loaded = new(StringComparer.Ordinal);

    public static IEnumerable<string> Names => Sources.Select(s => s.Name);

    public static DatasetSource? Find(string? name) => Sources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The dataset's splits, provisioned and loaded on the first call and shared after it.</summary>
    public async Task<DatasetSplits> OpenAsync(string name, CancellationToken ct)
    {
        var source = Find(name) ?? throw new DatasetUnavailableException(name, $"There is no dataset '{name}'; known datasets: {string.Join(", ", Names)}.");
        var lazy = _loaded.GetOrAdd(source.Name, _ => new Lazy<Task<DatasetSplits>>(() => LoadAsync(source)));
        try
        {
            // The load itself is not tied to one caller's token: another job may be waiting on it too.
            return await lazy.Value.WaitAsync(ct);
        }
        catch (DatasetUnavailableException)
        {
            // A failed load is not kept: the next job tries again (the files or the network may be back).
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<DatasetSplits>>>(source.Name, lazy));
            throw;
        }
    }

    private async Task<DatasetSplits> LoadAsync(DatasetSource source)
    {
        var o = options.Value;
        string? root = string.IsNullOrWhiteSpace(o.Directory) ? null : Path.GetFullPath(o.Directory, env.ContentRootPath);
        (ImageDataset train, ImageDataset test) loaded;
        try
        {
            string directory = await provisioner.EnsureAsync(source.Name, root, CancellationToken.None);

            // Reading takes seconds of CPU (parsing JSON, decoding PNGs): off the caller's thread.
            loaded = await Task.Run(() => source.Open(directory));
        }
        catch (Exception e)
        {
            log.LogError(e, "Dataset {Dataset} could not be opened", source.Name);
            throw new DatasetUnavailableException(source.Name, $"Dataset '{source.Name}' is not available: {e.Message}", e);
        }
        var train = o.TrainLimit > 0 ? loaded.train.Take(o.TrainLimit) : loaded.train;
        var test = o.TestLimit > 0 ? loaded.test.Take(o.TestLimit) : loaded.test;
        log.LogInformation("Dataset {Dataset} loaded: {Train} training and {Test} test images", source.Name, train.Count, test.Count);
        return new DatasetSplits(source.Name, train, test);
    }
}
