using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;

namespace Vae.Api.Jobs;

/// <summary>The job queues this node serves: Jobs:Queues when set, else what its backend can run (<see cref="JobQueues.DefaultFor"/>).</summary>
public sealed class NodeQueues(IOptions<JobsOptions> options, EngineBackend engine)
{
    private readonly Lazy<IReadOnlyList<string>> _names = new(() =>
        options.Value.Queues is { Length: > 0 } configured ? [.. configured.Select(q => q.Trim().ToLowerInvariant()).Distinct()] : JobQueues.DefaultFor(engine.Backend));

    public IReadOnlyList<string> Names => _names.Value;
}
