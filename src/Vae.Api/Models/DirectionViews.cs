namespace Vae.Api.Models;

/// <summary>One end of a direction: a class of the model's dataset, or images of its own.</summary>
public sealed record DirectionGroup
{
    /// <summary>A class label of the model's dataset: the group is that class's test images (up to the request's limit).</summary>
    public int? Label { get; init; }
    /// <summary>The group's images: each a base64 image string (PNG, JPEG, WebP or BMP) or a list of Channels*Height*Width pixel values in [0, 1], channel-major.</summary>
    public ImageInput[]? Images { get; init; }
}

/// <summary>A direction to compute and store: the mean code of <see cref="To"/> minus the mean code of <see cref="From"/>.</summary>
public sealed record DirectionRequest
{
    /// <summary>The direction's name, unique per model: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public string? Name { get; init; }
    public DirectionGroup? From { get; init; }
    public DirectionGroup? To { get; init; }
    /// <summary>Most test images of a class that are averaged, 1 to Models:MaxLatents; by default Models:DirectionImages (1000).</summary>
    public int? Limit { get; init; }
    /// <summary>For a conditional model, when a group is made of images: the class they are read as (the query's label does the same).</summary>
    public int? Label { get; init; }
}

/// <summary>Where a direction's group came from.</summary>
/// <param name="Label">The class, for a group of a class's test images; null for uploaded images.</param>
/// <param name="ClassName">What that class is, when the dataset names its classes.</param>
/// <param name="Images">Images averaged.</param>
public sealed record DirectionSource(int? Label, string? ClassName, int Images);

/// <summary>A stored direction in a model's latent space.</summary>
/// <param name="Vector">The mean code (posterior mean) of the "to" group minus that of the "from" group; latentDim numbers.</param>
/// <param name="Norm">The vector's Euclidean length: an amount of 1 moves a code by this much.</param>
/// <param name="FromCount">Images averaged for the "from" end.</param>
/// <param name="ToCount">Images averaged for the "to" end.</param>
public sealed record DirectionView(
    string Name, int LatentDim, float[] Vector, double Norm, int FromCount, int ToCount, DirectionSource From, DirectionSource To, DateTimeOffset CreatedAt);

public sealed record DirectionList(IReadOnlyList<DirectionView> Directions);

/// <summary>
/// An image (or a code) moved along a stored direction: code + amount * vector for each amount,
/// decoded. Give exactly one of <see cref="Image"/> and <see cref="Latent"/>.
/// </summary>
public sealed record EditRequest
{
    /// <summary>The image to move: a base64 image string (PNG, JPEG, WebP or BMP) or a list of pixel values in [0, 1]; encoded to its mean code.</summary>
    public ImageInput? Image { get; init; }
    /// <summary>A latent code to move instead of an image; latentDim numbers.</summary>
    public float[]? Latent { get; init; }
    /// <summary>The name of a direction stored with the model (GET /api/models/{id}/directions lists them).</summary>
    public string? Direction { get; init; }
    /// <summary>How far to move, in multiples of the direction's vector: one image per amount, in this order. By default -2, -1, 0, 1, 2.</summary>
    public float[]? Amounts { get; init; }
    /// <summary>For a conditional model: the class of the image and of every decoded image (the query's label does the same).</summary>
    public int? Label { get; init; }
}

/// <summary>The codes of an edit and the images decoded from them (laid out as in <see cref="ImagesResponse"/>).</summary>
public sealed record EditResponse(IReadOnlyList<float> Amounts, IReadOnlyList<float[]> Latents, IReadOnlyList<float[]> Images, int Channels, int Height, int Width);
