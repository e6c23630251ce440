using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Tests.Infrastructure;
using Vae.Engine.Backends;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>Per-device queues on the node, and a state folder written before the scheduler was Hangfire.</summary>
public sealed class JobQueuesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_serves_the_queues_its_hardware_can_unless_configured_and_health_lists_them()
    {
        using var cpu = new ServiceFactory(output);
        using var gpu = new ServiceFactory(output, services: s => s.AddSingleton(new EngineBackend(new StandInGpuBackend(BackendRegistry.Find("cpu")))));
        using var configured = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Jobs:Queues:0"] = "GPU", ["Jobs:Queues:1"] = "cpu" });

        Assert.Equal(["cpu"], (await HealthAsync(cpu)).Queues);
        Assert.Equal(["gpu", "cpu"], (await HealthAsync(gpu)).Queues);
        Assert.Equal(["gpu", "cpu"], (await HealthAsync(configured)).Queues);
    }

    [Fact]
    public void A_queue_the_service_does_not_know_stops_the_start_naming_the_ones_it_does()
    {
        var e = JobSettingsTests.StartFails(new Dictionary<string, string?> { ["Jobs:Queues:0"] = "tpu" });
        Assert.Contains("Jobs:Queues takes gpu and cpu", e.Message);
    }

    [Fact]
    public async Task A_state_folder_of_the_previous_scheduler_opens_with_its_models_and_its_queued_and_interrupted_jobs_run()
    {
        string state = Directory.CreateTempSubdirectory("vae-api-legacy-").FullName;
        try
        {
            string modelId, interrupted, queued;
            using (var before = new ServiceFactory(output, stateDirectory: state))
            {
                var client = before.CreateClient();
                modelId = (await client.WaitUntilFinishedAsync((await client.SubmitAsync(JobsClient.Tiny(epochs: 1))).Id)).ModelId!;
                // One job interrupted mid-run by the stop, one queued behind it on the node's one slot.
                var held = before.Gate.HoldAtBatch(epoch: 1, batch: 2);
                interrupted = (await client.SubmitAsync(JobsClient.Tiny(epochs: 1))).Id;
                await held.ReachedAsync();
                queued = (await client.SubmitAsync(JobsClient.Tiny(epochs: 1))).Id;
                // Stopping the host ends the hold, as it ends a batch: the run stops there.
            }
            // What the previous version left: its scheduler's tables in vae.db, and no Hangfire storage.
            foreach (var file in Directory.GetFiles(state, "jobs.db*")) File.Delete(file);
            using (var connection = new SqliteConnection(SqliteVaeStore.ConnectionStringFor(Path.Combine(state, "vae.db"))))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = """
                    CREATE TABLE QRTZ_JOB_DETAILS (SCHED_NAME TEXT NOT NULL, JOB_NAME TEXT NOT NULL, JOB_GROUP TEXT NOT NULL, PRIMARY KEY (SCHED_NAME, JOB_NAME, JOB_GROUP));
                    CREATE TABLE QRTZ_TRIGGERS (SCHED_NAME TEXT NOT NULL, TRIGGER_NAME TEXT NOT NULL, TRIGGER_GROUP TEXT NOT NULL, JOB_NAME TEXT NOT NULL, JOB_GROUP TEXT NOT NULL,
                        FOREIGN KEY (SCHED_NAME, JOB_NAME, JOB_GROUP) REFERENCES QRTZ_JOB_DETAILS (SCHED_NAME, JOB_NAME, JOB_GROUP));
                    CREATE TABLE QRTZ_LOCKS (SCHED_NAME TEXT NOT NULL, LOCK_NAME TEXT NOT NULL);
                    INSERT INTO QRTZ_JOB_DETAILS VALUES ('vae', 'x', 'training');
                    INSERT INTO QRTZ_TRIGGERS VALUES ('vae', 'x', 'training', 'x', 'training');
                    """;
                command.ExecuteNonQuery();
            }

            using var after = new ServiceFactory(output, stateDirectory: state);
            var client2 = after.CreateClient();
            var resumed = await client2.WaitUntilFinishedAsync(interrupted);
            var ran = await client2.WaitUntilFinishedAsync(queued);
            var model = await client2.GetAsync($"/api/models/{modelId}/samples.png?n=4");

            Assert.True(resumed.Status == JobStatus.Succeeded, $"interrupted job: {resumed.Status}, {resumed.Error}");
            Assert.True(ran.Status == JobStatus.Succeeded, $"queued job: {ran.Status}, {ran.Error}");
            Assert.Equal(2, resumed.Attempts.Count); // cut short by the stop, then finished after the restart
            Assert.Equal(JobRecords.NodeStoppedError, resumed.Attempts[0].Error);
            Assert.Single(ran.Attempts);
            Assert.Equal(System.Net.HttpStatusCode.OK, model.StatusCode);
            using var check = new SqliteConnection(SqliteVaeStore.ConnectionStringFor(Path.Combine(state, "vae.db")));
            check.Open();
            using var tables = check.CreateCommand();
            tables.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'QRTZ%';";
            Assert.Equal(0L, (long)tables.ExecuteScalar()!);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(state, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<HealthApi.HealthView> HealthAsync(ServiceFactory factory)
        => (await factory.CreateClient().GetFromJsonAsync<HealthApi.HealthView>("/health", JobsClient.Json))!;
}
