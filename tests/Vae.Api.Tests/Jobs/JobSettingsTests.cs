using Microsoft.Extensions.Options;
using Vae.Api.Jobs;
using Vae.Api.Storage;
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
        var a = await client.SubmitAsync(JobsClient.Tiny(epochs: 200));
        var b = await client.SubmitAsync(JobsClient.Tiny(epochs: 200));

        try
        {
            await client.WaitForAsync(a.Id, j => j.CurrentEpoch >= 1);
            await client.WaitForAsync(b.Id, j => j.CurrentEpoch >= 1);
            Assert.Equal(JobStatus.Running, (await client.GetJobAsync(a.Id)).Status);
        }
        finally
        {
            await client.CancelQuietlyAsync(a.Id);
            await client.CancelQuietlyAsync(b.Id);
        }
        Assert.Equal(JobStatus.Cancelled, (await client.WaitUntilFinishedAsync(a.Id)).Status);
        Assert.Equal(JobStatus.Cancelled, (await client.WaitUntilFinishedAsync(b.Id)).Status);
    }

    [Fact]
    public void The_postgres_provider_stops_the_start_with_a_message_saying_it_is_not_available_yet()
    {
        using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Storage:Provider"] = "postgres" });

        var e = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("postgres", e.Message);
        Assert.Contains("not support", e.Message);
    }

    [Fact]
    public void A_max_epochs_below_the_default_job_epochs_stops_the_start()
    {
        using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Jobs:MaxEpochs"] = "5", ["Jobs:DefaultJobEpochs"] = "10" });

        var e = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("DefaultJobEpochs", e.Message);
    }
}
