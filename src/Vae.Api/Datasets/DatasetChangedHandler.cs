using Vae.Api.Cluster;

namespace Vae.Api.Datasets;

/// <summary>Drops the loaded images and the local copy of a dataset another node deleted.</summary>
public sealed class DatasetChangedHandler(DatasetCatalog datasets, IDatasetUploads uploads) : IClusterEventHandler
{
    public IReadOnlyCollection<string> Types { get; } = [ClusterEvent.DatasetChangedType];

    public Task HandleAsync(ClusterEvent e, CancellationToken ct)
    {
        datasets.Forget(e.Id);
        uploads.ForgetLocalCopy(e.Id);
        return Task.CompletedTask;
    }
}
