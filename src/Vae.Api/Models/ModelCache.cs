using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Models;

namespace Vae.Api.Models;

/// <summary>
/// Keeps inference off the disk and the database: the record each reference (id, alias, name or
/// name@version) resolved to is remembered for <see cref="RecordLifetime"/>, and the last <see cref="ModelsOptions.CacheSize"/>
/// models used stay loaded. A model is read from its file once however many requests ask for it
/// at the same moment. Loaded models are only read during inference, so requests share them.
/// While the database is unreachable, models already known here keep being served from memory.
/// </summary>
public sealed class ModelCache
{
    /// <summary>How long a record is trusted: a new version of a name, or an alias moved on another node, is seen within it.</summary>
    public static readonly TimeSpan RecordLifetime = TimeSpan.FromSeconds(1);

    // Only existing models are remembered, so their number bounds this table.
    private readonly ConcurrentDictionary<string, (ModelRecord Record, long Expires)> _records = new(StringComparer.Ordinal);

    private readonly Lock _lock = new();
    private readonly RecentlyUsed<Slot> _slots;

    private readonly ModelStore _store;
    private readonly TimeProvider _clock;
    private readonly EngineBackend _engine;
    private readonly ILogger<ModelCache> _log;
    private readonly int _capacity;
    // Lookups of loaded models (Get): served from memory, or loaded from the store; for the metrics.
    private long _hits, _misses;
    // Bumped whenever models change, so a lookup that raced with the change is not remembered.
    private int _generation;

    public ModelCache(ModelStore store, IOptions<ModelsOptions> options, TimeProvider clock, ILogger<ModelCache> log, EngineBackend engine)
    {
        _engine = engine;
        _store = store;
        _clock = clock;
        _log = log;
        _capacity = options.Value.CacheSize;
        // Evicted models are not disposed: a request may still be using one; the GC takes it after.
        _slots = new RecentlyUsed<Slot>(_capacity, _ => 1);
        // Publishing changes what a name names, setting an alias what it names, deleting removes a model: forget what references resolved to.
        store.Changed += Evict;
    }

    /// <summary>Models currently loaded.</summary>
    public int LoadedCount
    {
        get { lock (_lock) return _slots.Count; }
    }

    /// <summary>Most models kept loaded (Models:CacheSize).</summary>
    public int Capacity => _capacity;

    /// <summary>Requests for a loaded model since start: found in memory, or loaded for them.</summary>
    public (long Hits, long Misses) Lookups => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    /// <summary>The record a reference names (see <see cref="ModelStore.ResolveAsync"/>); null when there is none.</summary>
    public async ValueTask<ModelRecord?> ResolveAsync(string reference, CancellationToken ct)
    {
        string key = reference;
        long now = _clock.GetTimestamp();
        if (_records.TryGetValue(key, out var cached) && now < cached.Expires) return cached.Record;

        int generation = Volatile.Read(ref _generation);
        ModelRecord? record;
        try
        {
            record = await _store.ResolveAsync(reference, ct);
        }
        catch (Exception e) when (StoreFaults.IsUnavailable(e) && cached.Record is not null)
        {
            // The database is out of reach: a model this node already knows is served as it was last
            // seen (a deletion made meanwhile reaches this node once the database is back).
            _log.LogDebug("Serving model {Key} from memory: the database is unreachable ({Message})", key, e.Message);
            return cached.Record;
        }
        if (record is null)
        {
            _records.TryRemove(key, out _);
            return null;
        }
        if (generation == Volatile.Read(ref _generation)) _records[key] = (record, now + (long)(RecordLifetime.TotalSeconds * _clock.TimestampFrequency));
        return record;
    }

    /// <summary>
    /// The loaded model of a record. Call it outside any TensorScope: the model's parameters must
    /// outlive the request that happened to load them.
    /// </summary>
    /// <exception cref="ClientProblemException">404 when the model's file has gone (it was deleted meanwhile).</exception>
    public AutoencoderModel Get(ModelRecord record)
    {
        Slot slot;
        lock (_lock)
        {
            if (_slots.TryGet(record.Id, out slot))
            {
                _hits++;
            }
            else
            {
                slot = new Slot(record.Id, new Lazy<AutoencoderModel>(() => Load(record.Id), LazyThreadSafetyMode.ExecutionAndPublication));
                _misses++;
                _slots.Add(record.Id, slot);
            }
        }

        try
        {
            return slot.Model.Value;
        }
        catch
        {
            // Lazy keeps the exception; drop the slot so a later request tries again.
            Remove(record.Id, slot);
            throw;
        }
    }

    /// <summary>Forgets a model and what every reference resolved to, e.g. after it was deleted (an alias's name drops only the latter).</summary>
    public void Evict(string id)
    {
        lock (_lock)
        {
            _slots.Remove(id, out _);
        }
        ForgetRecords();
    }

    /// <summary>Drops what references resolved to, e.g. after a model was published.</summary>
    public void ForgetRecords()
    {
        Interlocked.Increment(ref _generation);
        _records.Clear();
    }

    private AutoencoderModel Load(string id)
    {
        try
        {
            var loaded = _store.Load(id, _engine.Backend); // served on the node's device; images are encoded on the CPU from what it returns
            // Serving reads the model: batch norm must use its running statistics, not each request's
            // batch (which would make an image's code depend on its batch, and write to shared buffers).
            loaded.Model.Eval();
            loaded.Model.Freeze(); // a served model never trains again
            _log.LogInformation("Loaded model {ModelId} ({Parameters} parameters)", id, loaded.Model.ParameterCount());
            return loaded.Model;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            ForgetRecords();
            throw new ClientProblemException(StatusCodes.Status404NotFound,
                $"Model '{id}' was deleted while this request was being served. GET /api/models lists the models there are.");
        }
    }

    private void Remove(string id, Slot slot)
    {
        lock (_lock)
        {
            // A later request may have put a fresh slot there already: only this one goes.
            if (_slots.TryGet(id, out var held) && ReferenceEquals(held, slot)) _slots.Remove(id, out _);
        }
    }

    private sealed record Slot(string Id, Lazy<AutoencoderModel> Model);
}
