using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Cluster;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Models;
using Microsoft.Extensions.Options;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Backends;
using System.Net;
using System.Net.Http.Json;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>Settings that change how jobs run, and settings the service refuses to start with.</summary>
public sealed class JobSettingsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_two_job_slots_two_jobs_train_at_the_same_time()
    {
        using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Jobs:MaxConcurrentJobs"] = "2" });
        var client = factory.CreateClient();
        // Both holds can only be reached together if both jobs run at once: with one slot the second would wait for the first.
        var first = factory.Gate.HoldAtBatch(epoch: 1, batch: 2);
        var second = factory.Gate.HoldAtBatch(epoch: 1, batch: 2);
        var a = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));
        var b = await client.SubmitAsync(JobsClient.Tiny(epochs: 1));

        var held = new[] { await first.ReachedAsync(), await second.ReachedAsync() };

        Assert.Equal(new[] { a.Id, b.Id }.Order(), held.Select(p => p.JobId).Order());
        Assert.Equal(JobStatus.Running, (await client.GetJobAsync(a.Id)).Status);
        Assert.Equal(JobStatus.Running, (await client.GetJobAsync(b.Id)).Status);
        first.Release();
        second.Release();
        Assert.Equal(JobStatus.Succeeded, (await client.WaitUntilFinishedAsync(a.Id)).Status);
        Assert.Equal(JobStatus.Succeeded, (await client.WaitUntilFinishedAsync(b.Id)).Status);
    }

    [Fact]
    public async Task A_job_whose_dataset_cannot_be_provisioned_fails_with_the_reason()
    {
        string notAFolder = Path.GetTempFileName();
        try
        {
            using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Datasets:Directory"] = notAFolder });
            var client = factory.CreateClient();

            var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(JobsClient.Tiny(epochs: 1))).Id);

            Assert.Equal(JobStatus.Failed, job.Status);
            Assert.Contains("mnist", job.Error);
            Assert.Contains("not available", job.Error);
            Assert.Null(job.ModelId);
        }
        finally
        {
            File.Delete(notAFolder);
        }
    }

    [Fact]
    public async Task A_stored_job_beyond_a_lowered_epoch_limit_fails_saying_why()
    {
        var tooLong = new JobRecord
        {
            Id = "jtoolong0001", Status = JobStatus.Queued, CreatedAt = DateTimeOffset.UtcNow,
            Request = new TrainingRequest { Model = new MlpConfig { HiddenSizes = [32], LatentDim = 2 }, Epochs = 50 },
        };
        string state = Directory.CreateTempSubdirectory("vae-jobs-limit-").FullName;
        try
        {
            using (var first = new ServiceFactory(output, state))
                await first.Services.GetRequiredService<IVaeStore>().InsertJobAsync(tooLong, CancellationToken.None);

            using var second = new ServiceFactory(output, state, new Dictionary<string, string?> { ["Jobs:MaxEpochs"] = "10", ["Jobs:DefaultJobEpochs"] = "5" });
            var job = await second.CreateClient().WaitUntilFinishedAsync(tooLong.Id);

            Assert.Equal(JobStatus.Failed, job.Status);
            Assert.Contains("epochs must be between 1 and 10", job.Error);
        }
        finally
        {
            try { Directory.Delete(state, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void The_postgres_provider_without_a_connection_string_stops_the_start_naming_the_setting()
    {
        var e = StartFails(new Dictionary<string, string?> { ["Storage:Provider"] = "postgres" });

        Assert.Contains("Storage:ConnectionString", e.Message);
        Assert.Contains("postgres-dev.sh", e.Message);
    }

    [Fact]
    public void An_unknown_storage_provider_stops_the_start_naming_the_ones_there_are()
    {
        var e = StartFails(new Dictionary<string, string?> { ["Storage:Provider"] = "mysql" });

        Assert.Contains("Storage:Provider", e.Message);
        Assert.Contains("'sqlite'", e.Message);
        Assert.Contains("'postgres'", e.Message);
    }

    [Fact]
    public void An_unreachable_postgres_database_stops_the_start_saying_where_it_looked()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        var e = StartFails<InvalidOperationException>(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = "Host=127.0.0.1;Port=1;Database=nowhere;Username=vae;Password=secret;Timeout=3",
        });

        Assert.Contains("'nowhere' on 127.0.0.1:1", e.Message);
        Assert.Contains("Storage:ConnectionString", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Fact]
    public void A_max_epochs_below_the_default_job_epochs_stops_the_start()
    {
        var e = StartFails(new Dictionary<string, string?> { ["Jobs:MaxEpochs"] = "5", ["Jobs:DefaultJobEpochs"] = "10" });

        Assert.Contains("DefaultJobEpochs", e.Message);
    }

    /// <summary>
    /// Starts a host with the service's own registrations and these settings, expecting it to refuse.
    /// A plain host, because the test server's deferred start can race its own disposal when the
    /// app fails to start and then report that instead of the app's error.
    /// </summary>
    internal static OptionsValidationException StartFails(Dictionary<string, string?> settings) => StartFails<OptionsValidationException>(settings);

    private static TException StartFails<TException>(Dictionary<string, string?> settings) where TException : Exception
    {
        var state = Directory.CreateTempSubdirectory("vae-settings-").FullName;
        try
        {
            var builder = WebApplication.CreateBuilder();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["Storage:Directory"] = state });
            builder.Services.AddEngine(builder.Configuration);
            builder.Services.AddVaeStorage(builder.Configuration);
            builder.Services.AddCluster(builder.Configuration);
            builder.Services.AddDatasets(builder.Configuration);
            builder.Services.AddModels(builder.Configuration);
            builder.Services.AddJobs(builder.Configuration);
            builder.Services.AddErrorHandling(builder.Configuration);
            using var app = builder.Build();
            return Assert.Throws<TException>(() => app.StartAsync().GetAwaiter().GetResult());
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
