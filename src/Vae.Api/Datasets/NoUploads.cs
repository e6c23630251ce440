namespace Vae.Api.Datasets;

/// <summary>Placeholder until uploads are stored: there are none.</summary>
internal sealed class NoUploads : IDatasetUploads
{
    public Task<IReadOnlyList<DatasetInfo>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<DatasetInfo>>([]);
    public Task<DatasetInfo?> FindAsync(string id, CancellationToken ct) => Task.FromResult<DatasetInfo?>(null);
    public Task<(Vae.Engine.Data.ImageDataset Train, Vae.Engine.Data.ImageDataset Test)> OpenAsync(string id, CancellationToken ct)
        => throw new DatasetUnavailableException(id, $"There is no dataset '{id}'.");
}
