namespace Vae.Engine.Backends;

/// <summary>
/// A family of backends this build can make (the CPU's, ILGPU's). <see cref="BackendRegistry"/> finds
/// every implementation in the engine by reflection, so a new device joins the registry, and with it
/// the shared op tests, by adding a provider beside its backend; nothing else lists backends.
/// </summary>
public interface IBackendProvider
{
    /// <summary>Where the family's backends come in the registry's list (lower first): the CPU, then accelerators.</summary>
    int Order { get; }

    /// <summary>The family's backends by name, each with how to start it; nothing is started until asked for.</summary>
    IEnumerable<BackendCandidate> Candidates { get; }
}

/// <summary>A backend by name and how to start it: the backend, or null and the reason it cannot run here.</summary>
public sealed record BackendCandidate(string Name, Func<(IBackend? Backend, string? WhyNot)> Start);
