using Microsoft.Extensions.Options;
using Vae.Engine.Backends;

namespace Vae.Api.Infrastructure;

/// <summary>
/// The device this node trains and serves on (<c>Engine:Backend</c>): <c>auto</c> (CUDA when a device
/// answers, else the CPU), <c>cpu</c>, <c>cuda</c> or <c>ilgpu-cpu</c>. A name that cannot run here stops
/// the start with the reason and the names that can.
/// </summary>
public sealed class EngineBackend
{
    private readonly Lazy<IBackend> _backend;

    /// <summary>The backend Engine:Backend names, started the first time it is asked for.</summary>
    public EngineBackend(IOptions<EngineOptions> options) => _backend = new(() => BackendRegistry.Find(options.Value.Backend));

    /// <summary>A node on the backend given (a test's stand-in for a device this machine lacks).</summary>
    public EngineBackend(IBackend backend) => _backend = new(backend);

    public IBackend Backend => _backend.Value;

    public string Name => Backend.Name;
}

public static class EngineExtensions
{
    public static IServiceCollection AddEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EngineOptions>().Bind(configuration.GetSection(EngineOptions.Section))
            .ValidateOnStart(); // by the validator below, whose message says why and what can run
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.AddSingleton(sp => new EngineBackend(sp.GetRequiredService<IOptions<EngineOptions>>()));
        return services;
    }

    private sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
    {
        public ValidateOptionsResult Validate(string? name, EngineOptions options)
        {
            if (BackendRegistry.TryFind(options.Backend) is not null) return ValidateOptionsResult.Success;
            string why = BackendRegistry.Unavailable.TryGetValue(options.Backend, out var reason) ? $" ({reason})" : "";
            return ValidateOptionsResult.Fail(
                $"Engine:Backend '{options.Backend}' cannot run here{why}; use auto or one of: {string.Join(", ", BackendRegistry.Available.Select(b => b.Name))}.");
        }
    }
}
