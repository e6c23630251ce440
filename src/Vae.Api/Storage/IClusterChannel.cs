namespace Vae.Api.Storage;

/// <summary>
/// Short messages every node on the shared database hears as they are sent (with PostgreSQL:
/// notifications on one channel). Nothing is kept: a node that is not listening when a message is
/// sent never gets it, so a message may only hasten what the nodes learn from the database anyway.
/// </summary>
public interface IClusterChannel
{
    /// <summary>Sends <paramref name="payload"/> to every node listening, this one included; throws when it could not be sent.</summary>
    Task PublishAsync(string payload, CancellationToken ct);

    /// <summary>
    /// Hands every message received to <paramref name="received"/>, one at a time in the order they
    /// arrive, until <paramref name="ct"/> is cancelled; then returns. A lost connection is opened
    /// again after a pause; messages sent meanwhile are lost.
    /// </summary>
    Task ListenAsync(Action<string> received, CancellationToken ct);
}
