using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vae.Api.Jobs.Hangfire;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>How the node's Hangfire server stops when the host's shutdown timeout runs out before it.</summary>
public sealed class JobServerStopTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_stop_whose_time_ran_out_finishes_without_an_error_and_a_second_stop_does_nothing()
    {
        using var factory = new ServiceFactory(output);
        using var client = factory.CreateClient(); // starts the host and its Hangfire server
        var server = factory.Services.GetServices<IHostedService>().OfType<HangfireServer>().Single();

        // A token already cancelled stands for a shutdown timeout that ran out while the server waited.
        await server.StopAsync(new CancellationToken(canceled: true));
        await server.StopAsync(CancellationToken.None);

        Assert.Contains(factory.Log.Lines, line => line.Contains("host's shutdown timeout ran out", StringComparison.Ordinal));
    }
}
