using Vae.Engine.Data;

namespace Vae.Api.Datasets;

/// <summary>
/// Datasets people uploaded. The catalog lists and opens them beside the built-in ones; the
/// uploader adds them and the datasets endpoints remove them. Two stores: a folder under the state
/// folder (<see cref="FileDatasetUploads"/>, one node, the default) and the database shared by every
/// node (<see cref="Storage.Postgres.PostgresDatasetUploads"/>). Either way a dataset appears whole or not at all.
/// </summary>
public interface IDatasetUploads
{
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<DatasetInfo>> ListAsync(CancellationToken ct);

    Task<DatasetInfo?> FindAsync(string id, CancellationToken ct);

    /// <summary>The upload's training and test images.</summary>
    /// <exception cref="DatasetUnavailableException">It does not exist (any more) or its files cannot be read.</exception>
    Task<(ImageDataset Train, ImageDataset Test)> OpenAsync(string id, CancellationToken ct);

    /// <summary>A new hidden folder on this machine for one upload's work: its body, then its files. <see cref="PublishAsync"/> or <see cref="Discard"/> ends it.</summary>
    string CreateWorkFolder();

    /// <summary>Writes the dataset from the work folder (which must hold nothing else by then) and makes it exist under a new id.</summary>
    internal Task<DatasetInfo> PublishAsync(string workFolder, UploadContent content, string name, string description, CancellationToken ct);

    /// <summary>Removes a work folder and all in it; nothing is left of a refused or failed upload.</summary>
    void Discard(string workFolder);

    /// <summary>Removes an upload; false when there is none by that id.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken ct);

    /// <summary>
    /// Drops what this node holds of an upload besides the store itself, because another node
    /// changed it: remembered descriptions, and a local copy of files kept elsewhere.
    /// </summary>
    void ForgetLocalCopy(string id);

    /// <summary>At start: removes what uploads, copies and deletes cut short by a crash left behind.</summary>
    Task CleanUpAsync(CancellationToken ct);
}
