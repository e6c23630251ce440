using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Engine.Data;

namespace Vae.Api.Datasets;

/// <summary>A dataset's training and test images, as limited by the Datasets options.</summary>
public sealed record DatasetSplits(string Name, ImageDataset Train, ImageDataset Test);

/// <summary>
/// What the service knows about a dataset before opening it: its name, image shape and how to
/// fetch and read its files. Adding a dataset is adding one of these to <see cref="DatasetCatalog.Sources"/>.
/// </summary>
public sealed record DatasetSource(
    string Name,
    string Description,
    int Channels,
    int Height,
    int Width,
    Func<string?, CancellationToken, Task<(ImageDataset Train, ImageDataset Test)>> Open);

/// <summary>A dataset could not be fetched or read; the message says why and what to do.</summary>
public sealed class DatasetUnavailableException(string dataset, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Dataset { get; } = dataset;
}

/// <summary>
/// The datasets jobs can train on. Opening one provisions its files on first use (into
/// Datasets:Directory or the default cache), applies TrainLimit/TestLimit, and keeps the result:
/// datasets are read-only, so every job shares the same bytes.
/// </summary>
public sealed class DatasetCatalog(IOptions<DatasetOptions> options, IHostEnvironment env, ILogger<DatasetCatalog> log)
{
    public static IReadOnlyList<DatasetSource> Sources { get; } =
    [
        new("mnist", "MNIST handwritten digits, 28x28 grayscale", 1, 28, 28, OpenMnistAsync),
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
            loaded = await source.Open(root, CancellationToken.None);
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

    private static async Task<(ImageDataset, ImageDataset)> OpenMnistAsync(string? root, CancellationToken ct)
    {
        string directory = await MnistProvisioner.EnsureAsync(root is null ? null : Path.Combine(root, "mnist"), ct);
        return (Mnist.Load(directory, DatasetSplit.Train), Mnist.Load(directory, DatasetSplit.Test));
    }
}
