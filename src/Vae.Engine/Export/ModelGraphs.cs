using Vae.Engine.Models;

namespace Vae.Engine.Export;

/// <summary>
/// A model's encoder and decoder as graphs that compute what the service's encode and decode
/// compute, in eval mode (batch norm on its running statistics, folded into its convolution),
/// for any batch size. A conditional model takes int64 class labels, one per row, and one-hots
/// them itself.
/// </summary>
public static class ModelGraphs
{
    /// <summary>Images (B, C, H, W) in [0, 1], float32: the encoder's input.</summary>
    public const string Images = "images";
    /// <summary>Codes (B, L), float32: the decoder's input.</summary>
    public const string Latents = "z";
    /// <summary>Class labels (B), int64, 0..K-1: an input of a conditional model's encoder and decoder.</summary>
    public const string Labels = "label";
    /// <summary>The encoder's outputs: mean and log-variance (B, L) of a VAE; the code (B, L) of an autoencoder.</summary>
    public const string Mean = "mu", LogVar = "logvar", Code = "code";
    /// <summary>The decoder's output (B, C, H, W) in [0, 1]: pixel probabilities (Bernoulli) or means (Gaussian), clipped as decode clips them.</summary>
    public const string Decoded = "images";

    public static Graph Encoder(AutoencoderModel model)
    {
        var c = model.Config;
        var graph = new GraphBuilder();
        var images = graph.Input(Images, ElementType.Float32, [null, c.Channels, c.Height, c.Width], "Images (batch, channels, height, width), pixel values in [0, 1].");
        var condition = Condition(graph, model);
        var (mean, logVar) = model.ExportEncode(graph, images, condition);
        int?[] codes = [null, c.LatentDim];
        if (logVar is null)
        {
            graph.Output(mean, Code, codes, "The code of each image (batch, latentDim).");
        }
        else
        {
            graph.Output(mean, Mean, codes, "The posterior mean of each image's code (batch, latentDim).");
            graph.Output(logVar, LogVar, codes, "The posterior log-variance of each image's code (batch, latentDim).");
        }
        return Finish(graph, model, "encoder");
    }

    public static Graph Decoder(AutoencoderModel model)
    {
        var c = model.Config;
        var graph = new GraphBuilder();
        var z = graph.Input(Latents, ElementType.Float32, [null, c.LatentDim], "Latent codes (batch, latentDim).");
        var condition = Condition(graph, model);
        var decoded = graph.Clip(model.ExportDecode(graph, z, condition), 0f, 1f);
        string what = c.Likelihood == Likelihood.Bernoulli ? "pixel probabilities" : "pixel means";
        graph.Output(decoded, Decoded, [null, c.Channels, c.Height, c.Width], $"Decoded images (batch, channels, height, width): {what}, clipped to [0, 1].");
        return Finish(graph, model, "decoder");
    }

    private static string? Condition(GraphBuilder graph, AutoencoderModel model)
    {
        if (!model.IsConditional) return null;
        var labels = graph.Input(Labels, ElementType.Int64, [null], $"The class of each row, 0..{model.Config.ClassCount - 1}.");
        return graph.OneHot(labels, model.Config.ClassCount);
    }

    private static Graph Finish(GraphBuilder graph, AutoencoderModel model, string part)
    {
        var c = model.Config;
        string kind = c.IsVariational ? "VAE" : "autoencoder";
        var metadata = new Dictionary<string, string> { ["config"] = c.ToJson(), ["part"] = part };
        return BatchNormFolding.Apply(graph.Build($"{c.Family}_{part}", $"The {part} of a {c.Family} {kind}{(c.Conditional ? " (conditional)" : "")}.", metadata));
    }
}
