using System.Data.Common;
using Vae.Engine.Training;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vae.Engine.Models;

namespace Vae.Api.Storage;

/// <summary>
/// How the stores write the structured parts of records (the request, epoch metrics, progress, the
/// model configuration and details) as JSON, and job statuses as text. Shared by every store, so a
/// record reads the same whichever database holds it.
/// </summary>
internal static class RecordFormat
{
    // Metrics can hold a non-finite value (a diverging test loss); the store keeps it rather than failing the write.
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new ModelConfigConverter() },
    };

    /// <summary>The parts of a model record that are read and written whole.</summary>
    /// <remarks>Details stored before a part existed read that part as null.</remarks>
    public sealed record ModelDetailsJson(IReadOnlyList<string>? ClassNames, EvaluationRecord? Evaluation, double? TrainingSeconds, string? Device = null);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static string DetailsOf(ModelRecord model) => Serialize(new ModelDetailsJson(model.ClassNames, model.Evaluation, model.TrainingSeconds, model.Device));

    public static ModelRecord WithDetails(ModelRecord record, string json)
    {
        var details = Deserialize<ModelDetailsJson>(json, "details", record.Id);
        return record with { ClassNames = details.ClassNames, Evaluation = details.Evaluation, TrainingSeconds = details.TrainingSeconds, Device = details.Device };
    }

    public static T Deserialize<T>(string json, string column, string id) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json) ?? throw new InvalidDataException($"Record '{id}' has an empty '{column}' column.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Record '{id}' has an unreadable '{column}' column: {e.Message}", e);
        }
    }

    public static TrainingRequest ReadRequest(string json, string id)
    {
        try
        {
            return StoredRequests.Read(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Job '{id}' has an unreadable request: {e.Message}", e);
        }
    }

    public static ModelConfig ReadConfig(string json, string id)
    {
        try
        {
            return ModelConfig.FromJson(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model '{id}' has an unreadable configuration: {e.Message}", e);
        }
    }

    public static string StatusText(JobStatus status) => status switch
    {
        JobStatus.Queued => "queued",
        JobStatus.Running => "running",
        JobStatus.Succeeded => "succeeded",
        JobStatus.Failed => "failed",
        JobStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static JobStatus ParseStatus(string text, string id) => text switch
    {
        "queued" => JobStatus.Queued,
        "running" => JobStatus.Running,
        "succeeded" => JobStatus.Succeeded,
        "failed" => JobStatus.Failed,
        "cancelled" => JobStatus.Cancelled,
        _ => throw new InvalidDataException($"Job '{id}' has the unknown status '{text}'."),
    };

    /// <summary>
    /// A job row in the column order both stores select (id, name, status, _, request, epochs,
    /// model_id, error, cancel_requested, created_at, started_at, finished_at, progress, node,
    /// version, device, waiting, attempts). The stores differ only in how they keep times, which <paramref name="time"/> reads.
    /// </summary>
    public static JobRecord ReadJob(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time)
    {
        string id = r.GetString(0);
        return new JobRecord
        {
            Id = id,
            Name = r.IsDBNull(1) ? null : r.GetString(1),
            Status = ParseStatus(r.GetString(2), id),
            Request = ReadRequest(r.GetString(4), id),
            Epochs = Deserialize<List<EpochMetrics>>(r.GetString(5), "epochs", id),
            ModelId = r.IsDBNull(6) ? null : r.GetString(6),
            Error = r.IsDBNull(7) ? null : r.GetString(7),
            // SQLite keeps it as an integer; its reader turns that into a boolean as PostgreSQL's does.
            CancelRequested = r.GetBoolean(8),
            CreatedAt = time(r, 9),
            StartedAt = r.IsDBNull(10) ? null : time(r, 10),
            FinishedAt = r.IsDBNull(11) ? null : time(r, 11),
            Progress = r.IsDBNull(12) ? null : Deserialize<JobProgressRecord>(r.GetString(12), "progress", id),
            Node = r.IsDBNull(13) ? null : r.GetString(13),
            Version = r.GetInt64(14),
            Device = r.IsDBNull(15) ? null : r.GetString(15),
            Waiting = r.IsDBNull(16) ? null : r.GetString(16),
            // Null in rows written before attempts were recorded.
            Attempts = r.IsDBNull(17) ? [] : Deserialize<List<JobAttempt>>(r.GetString(17), "attempts", id),
        };
    }

    /// <summary>A model row (id, name, dataset, config, metrics, job_id, created_at, details, version).</summary>
    public static ModelRecord ReadModel(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time)
    {
        string id = r.GetString(0);
        var record = new ModelRecord
        {
            Id = id,
            Name = r.IsDBNull(1) ? null : r.GetString(1),
            Dataset = r.GetString(2),
            Config = ReadConfig(r.GetString(3), id),
            Metrics = Deserialize<List<EpochMetrics>>(r.GetString(4), "metrics", id),
            JobId = r.IsDBNull(5) ? null : r.GetString(5),
            CreatedAt = time(r, 6),
            Version = r.IsDBNull(8) ? null : r.GetInt32(8),
        };
        return r.IsDBNull(7) ? record : WithDetails(record, r.GetString(7));
    }
}
