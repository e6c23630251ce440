using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Models;
using Vae.Engine.Training.Evaluation;

namespace Vae.Api.Models;

/// <summary>
/// How unusual images are to a model: their scores (<see cref="ModelEvaluator.Score(AutoencoderModel, ReadOnlySpan{float}, int, int[], EvaluationOptions, CancellationToken)"/>)
/// and where they fall among the scores of the model's own test images.
/// <para>
/// The test-set distribution is made on the first request that needs it, not when a job ends: so
/// every model has one however it was published (by a job, by an older version of the service,
/// straight into the store), a model nobody scores costs nothing, and training jobs take no longer.
/// It covers Models:ScoreImages test images spread evenly over the test split (so an ordered split
/// still gives every class), scored with Models:ScoreSamples importance samples, and is kept as
/// {id}.scores.json beside the weights: computed once, however many requests wait for it together,
/// and read from the file after a restart.
/// </para>
/// </summary>
public sealed class AnomalyScoring
{
    private const string Kind = "scores";
    // The test images' noise: fixed, so that recomputing a lost file gives the same distribution.
    private const ulong ReferenceSeed = 1;
    private const int BatchSize = 100;
    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, Lazy<Task<ScoreDistribution>>> _distributions = new(StringComparer.Ordinal);
    private readonly ModelCache _cache;
    private readonly ModelSidecars _sidecars;
    private readonly DatasetCatalog _datasets;
    private readonly ModelsOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<AnomalyScoring> _log;
    private readonly CancellationToken _stopping;

    public AnomalyScoring(ModelCache cache, ModelStore store, ModelSidecars sidecars, DatasetCatalog datasets, IOptions<ModelsOptions> options,
        TimeProvider clock, ILogger<AnomalyScoring> log, IHostApplicationLifetime lifetime)
    {
        _cache = cache;
        _sidecars = sidecars;
        _datasets = datasets;
        _options = options.Value;
        _clock = clock;
        _log = log;
        _stopping = lifetime.ApplicationStopping;
        // A deleted model's distribution is forgotten with it (its file goes with its weights).
        store.Changed += id => _distributions.TryRemove(id, out _);
    }

    /// <summary>What ranks a model's images: the IWAE estimate of -log p(x), or the reconstruction term for a plain autoencoder.</summary>
    public static string MeasureOf(AutoencoderModel model) => model.IsVariational ? ScoreDistribution.NegativeIwae : ScoreDistribution.Reconstruction;

    /// <summary>Scores <paramref name="count"/> input rows (one label each for a conditional model) with k importance samples.</summary>
    public ImageScore[] Score(AutoencoderModel model, ReadOnlySpan<float> rows, int count, int[]? labels, int k, ulong seed, CancellationToken ct)
        => ModelEvaluator.Score(model, rows, count, labels, Evaluation(model, k, seed), ct);

    /// <summary>The model's test-set distribution: remembered, else read from its file, else computed and stored.</summary>
    /// <exception cref="ClientProblemException">422 when the model's dataset is gone or does not fit it, 503 when its files cannot be read.</exception>
    public async Task<ScoreDistribution> DistributionAsync(ModelRecord record, CancellationToken ct)
    {
        var lazy = _distributions.GetOrAdd(record.Id, _ => new Lazy<Task<ScoreDistribution>>(() => Task.Run(() => LoadOrComputeAsync(record, _stopping))));
        var task = lazy.Value;
        try
        {
            // Not tied to this caller's token: other requests may be waiting for the same distribution.
            return await task.WaitAsync(ct);
        }
        catch when (task.IsFaulted || task.IsCanceled)
        {
            // A failure is not kept: the dataset may be back for the next request.
            _distributions.TryRemove(KeyValuePair.Create(record.Id, lazy));
            throw;
        }
    }

    /// <summary>The file a model's distribution is kept in.</summary>
    public string FileOf(string id) => _sidecars.PathOf(id, Kind);

    private async Task<ScoreDistribution> LoadOrComputeAsync(ModelRecord record, CancellationToken ct)
    {
        try
        {
            if (await _sidecars.ReadAsync<ScoreDistribution>(record.Id, Kind, FileJson, ct) is { Scores.Length: > 0 } stored) return stored;
        }
        catch (JsonException e)
        {
            _log.LogWarning("The stored score distribution of model {ModelId} is unreadable ({Message}); computing it again", record.Id, e.Message);
        }

        var config = record.Config;
        if (await _datasets.FindAsync(record.Dataset, ct) is not { } dataset)
            throw new ClientProblemException(StatusCodes.Status422UnprocessableEntity, $"Model '{record.Id}' was trained on '{record.Dataset}', which this service does not have "
                + "(any more), so there are no test images to compare scores with.");
        DatasetSplits splits;
        try
        {
            splits = await _datasets.OpenAsync(dataset.Id, ct);
        }
        catch (DatasetUnavailableException e)
        {
            throw new ClientProblemException(StatusCodes.Status503ServiceUnavailable, e.Message);
        }
        var test = splits.Test;
        if ((test.Channels, test.Height, test.Width) != (config.Channels, config.Height, config.Width) || test.Count == 0)
            throw new ClientProblemException(StatusCodes.Status422UnprocessableEntity, $"The test split of '{dataset.Id}' has {test.Count} images of "
                + $"{test.Channels}x{test.Height}x{test.Width}; model '{record.Id}' needs {config.Channels}x{config.Height}x{config.Width} test images to compare scores with.");

        int n = Math.Min(_options.ScoreImages, test.Count), features = test.FeatureCount;
        var indices = new int[n];
        for (int i = 0; i < n; i++) indices[i] = (int)((long)i * test.Count / n);
        var pixels = new float[n * features];
        test.CopyBatch(indices, pixels);
        int[]? labels = null;
        if (config.Conditional)
        {
            labels = new int[n];
            test.CopyLabels(indices, labels);
        }

        var model = _cache.Get(record);
        var watch = Stopwatch.StartNew();
        int k = _options.ScoreSamples;
        var scores = ModelEvaluator.Score(model, pixels, n, labels, Evaluation(model, k, ReferenceSeed), ct);
        var values = scores.Select(s => s.Value).Where(double.IsFinite).Order().ToArray();
        if (values.Length == 0)
            throw new ClientProblemException(StatusCodes.Status422UnprocessableEntity, $"Model '{record.Id}' gives no finite score to any of its test images; it cannot rank images.");
        var distribution = new ScoreDistribution(MeasureOf(model), model.IsVariational ? k : null, ReferenceSeed, watch.Elapsed.TotalSeconds, _clock.GetUtcNow(), values);
        if (await _sidecars.WriteAsync(record.Id, Kind, distribution, FileJson, ct))
            _log.LogInformation("Scored {Images} test images of model {ModelId} in {Seconds:0.0} s: the distribution its anomaly percentiles are read from",
                values.Length, record.Id, distribution.Seconds);
        return distribution;
    }

    private EvaluationOptions Evaluation(AutoencoderModel model, int k, ulong seed)
        => new() { ImportanceSamples = model.IsVariational ? k : 1, Threads = _options.InferenceThreads, Seed = seed, BatchSize = BatchSize };
}
