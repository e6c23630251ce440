using Microsoft.Extensions.Options;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>
/// On the very first start (no model, no job), queues one default MNIST VAE job so the demo has a
/// model to show a few minutes later, and points the alias "default" at the model it will make
/// (until then, /api/models/default answers 409 naming the job). Jobs:SeedDefaultJob = false turns
/// this off. Of several nodes starting together on an empty database, one queues the job and sets
/// the alias.
/// </summary>
public sealed class DefaultJobSeeder(IVaeStore store, JobQueue queue, DatasetCatalog datasets, IOptions<JobsOptions> options, ILogger<DefaultJobSeeder> log) : IHostedService
{
    /// <summary>The name the default model is registered under.</summary>
    public const string DefaultName = "mnist-vae";

    /// <summary>The alias set to the default model: it moves only when someone moves it.</summary>
    public const string DefaultAlias = "default";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.SeedDefaultJob) return;
        if ((await store.ListModelsAsync(cancellationToken)).Count > 0 || (await store.ListJobsAsync(1, cancellationToken)).Count > 0) return;

        var request = new System.Text.Json.Nodes.JsonObject { ["name"] = DefaultName, ["dataset"] = "mnist", ["epochs"] = o.DefaultJobEpochs };
        var (plan, problems) = await TrainingRequestValidation.ReadAsync(request, datasets, o, cancellationToken);
        if (plan is null)
        {
            log.LogError("The default job's settings are not valid: {Problems}", string.Join(" ", problems.Select(p => $"{p.Field} {p.Message}")));
            return;
        }
        var job = await queue.SubmitFirstAsync(plan.Request, DefaultAlias, cancellationToken);
        if (job is null)
        {
            log.LogInformation("First start: another node queued the first job; none is added");
            return;
        }
        log.LogInformation("First start: queued job {JobId} ({Name}, {Epochs} epochs) so a default model will be ready once it finishes; alias {Alias} names it",
            job.Id, DefaultName, o.DefaultJobEpochs, DefaultAlias);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
