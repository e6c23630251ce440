namespace Vae.Api.Datasets;

/// <summary>
/// What the service knows about a dataset without opening it. Built-in datasets and uploads are
/// described alike, so a job, the page and the model views need not care where one came from.
/// </summary>
/// <param name="Id">What a training request's "dataset" names: "mnist", "fashion-mnist", "cifar10", or an upload's id.</param>
/// <param name="Name">A name for people.</param>
/// <param name="ClassNames">What each label means (ClassNames[k] names label k); null when the images carry no labels.</param>
/// <param name="BuiltIn">Shipped with the service (fetched on first use) rather than uploaded.</param>
/// <param name="Fetched">Its files are on this machine: training can start without fetching them.</param>
/// <param name="CreatedAt">When it was uploaded; null for built-in datasets.</param>
/// <param name="Bytes">Size of an upload's stored images and labels; null for built-in datasets.</param>
public sealed record DatasetInfo(
    string Id,
    string Name,
    string Description,
    int Channels,
    int Height,
    int Width,
    IReadOnlyList<string>? ClassNames,
    int TrainImages,
    int TestImages,
    bool BuiltIn,
    bool Fetched,
    DateTimeOffset? CreatedAt = null,
    long? Bytes = null)
{
    public bool IsLabelled => ClassNames is { Count: > 0 };

    public bool IsColour => Channels == 3;
}
