using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Infrastructure;

/// <summary>/health/live (the process answers) and /health/ready (the store and the scheduler are up) beside /health.</summary>
public sealed class HealthProbeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_whose_store_and_scheduler_are_up_is_live_and_ready()
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();

        var live = await client.GetFromJsonAsync<HealthApi.ProbeView>("/health/live", JobsClient.Json);
        var ready = await client.GetFromJsonAsync<HealthApi.ProbeView>("/health/ready", JobsClient.Json);

        Assert.Equal("live", live!.Status);
        Assert.Equal("ready", ready!.Status);
        Assert.Equal(live.Node, ready.Node);
    }

    [Fact]
    public async Task A_node_whose_store_does_not_answer_is_live_but_not_ready()
    {
        var store = new StoreSwitch();
        using var factory = new ServiceFactory(output, services: store.Install);
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        store.Down = true;
        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");
        var health = await client.GetAsync("/health");
        store.Down = false;
        var back = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.True(ready.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 503 says when to retry");
        Assert.Contains("the store does not answer: the disk went away", (await ready.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    /// <summary>The app's own store, whose ping fails while <see cref="Down"/>.</summary>
    private sealed class StoreSwitch
    {
        public volatile bool Down;

        public void Install(IServiceCollection services)
        {
            var original = services.Last(d => d.ServiceType == typeof(IVaeStore));
            services.Remove(original);
            services.AddSingleton(sp =>
            {
                var inner = (IVaeStore)original.ImplementationFactory!(sp);
                var proxy = DispatchProxy.Create<IVaeStore, Failing>();
                ((Failing)(object)proxy).Init(inner, () => Down);
                return proxy;
            });
        }
    }

    /// <summary>Passes every call to the store but a ping while the switch says down.</summary>
    public class Failing : DispatchProxy
    {
        private IVaeStore _inner = null!;
        private Func<bool> _down = () => false;

        internal void Init(IVaeStore inner, Func<bool> down) => (_inner, _down) = (inner, down);

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (_down() && method!.Name == nameof(IVaeStore.PingAsync)) return Task.FromException(new IOException("the disk went away"));
            try
            {
                return method!.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }
    }
}
