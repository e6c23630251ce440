using System.Text.Json.Nodes;
using Vae.Engine.Models.Mlp;

namespace Vae.Engine.Models;

/// <summary>
/// Model settings as they were written before model families existed, read as the MLP they
/// describe: the one place that knows those formats. A configuration then had no "family", named
/// its code size "latentSize" and the plain autoencoder "autoencoder"; a training request carried
/// the settings beside its own fields, with "model" naming the kind ("vae" or "ae").
/// </summary>
public static class LegacyConfigs
{
    /// <summary>The model settings an old training request carried among its own fields.</summary>
    public static IReadOnlyList<string> RequestFields { get; } = ["architecture", "hiddenSizes", "latentDim", "activation", "likelihood", "sigma", "beta"];

    /// <summary>Whether a configuration is in the old format (it names no family).</summary>
    public static bool IsLegacy(JsonObject config) => !config.ContainsKey("family");

    /// <summary>Rewrites an old configuration, in place, as the MLP configuration it describes.</summary>
    public static void Upgrade(JsonObject config)
    {
        config["family"] = MlpFamily.FamilyName;
        config.Remove("architecture");
        if (config.Remove("latentSize", out var latent)) config["latentDim"] = latent;
        if (config["kind"] is JsonValue kind && kind.TryGetValue<string>(out var k) && string.Equals(k, "autoencoder", StringComparison.OrdinalIgnoreCase))
            config["kind"] = "ae";
        if (config["activation"] is JsonValue activation && activation.TryGetValue<string>(out var a) && a == "leaky_relu")
            config["activation"] = "leakyRelu";
    }

    /// <summary>Whether a training request is in the old format: "model" is a string naming the kind rather than a configuration.</summary>
    public static bool IsLegacyRequest(JsonObject request) => request["model"] is JsonValue;

    /// <summary>
    /// Rewrites an old training request, in place: its model settings move into a "model" object,
    /// which the registry then reads as an old configuration (see <see cref="Upgrade"/>).
    /// </summary>
    public static void UpgradeRequest(JsonObject request)
    {
        string kind = request["model"] is JsonValue v && v.TryGetValue<string>(out var s) && s is "ae" or "autoencoder" ? "ae" : "vae";
        var model = new JsonObject { ["kind"] = kind };
        foreach (string field in RequestFields)
            if (request.Remove(field, out var value) && value is not null) model[field] = value;
        request["model"] = model;
    }
}
