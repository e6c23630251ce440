using System.Globalization;

namespace ClusterLoad;

/// <summary>What one run does: the nodes, how long and how hard to load them, the job traffic.</summary>
/// <param name="Nodes">Base addresses of the nodes, in the order requests alternate over them.</param>
/// <param name="Seconds">Length of the timed part.</param>
/// <param name="Clients">Requests in flight at once (each client sends its next request when the last one is answered).</param>
/// <param name="SubmitEverySeconds">Pace of the tiny training jobs submitted during the timed part.</param>
/// <param name="SettleSeconds">After the timed part, how long submitted jobs may take to reach a final status.</param>
/// <param name="SetupSeconds">How long the model served during the run may take to train.</param>
public sealed record LoadSettings(IReadOnlyList<Uri> Nodes, double Seconds, int Clients, double SubmitEverySeconds, double SettleSeconds, double SetupSeconds)
{
    public const string Usage =
        "usage: ClusterLoad --nodes URL,URL[,...] [--seconds 60] [--clients 16] [--submit-every 2] [--settle 120] [--setup 600]";

    /// <summary>The settings, or the reason the arguments cannot be used.</summary>
    public static (LoadSettings? Settings, string? Error) Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                return (null, $"'{args[i]}' is not an option followed by its value");
            values[args[i][2..]] = args[++i];
        }
        string[] known = ["nodes", "seconds", "clients", "submit-every", "settle", "setup"];
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown) return (null, $"unknown option --{unknown}");
        if (!values.TryGetValue("nodes", out var nodeList)) return (null, "--nodes is required");

        var nodes = new List<Uri>();
        foreach (string text in nodeList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                return (null, $"--nodes: '{text}' is not an http(s) address");
            nodes.Add(uri);
        }
        if (nodes.Count < 2) return (null, "--nodes needs at least two addresses: cancels and job checks go to a node other than the one that took the job");

        string? error = null;
        double Number(string name, double fallback, double min)
        {
            if (!values.TryGetValue(name, out var text)) return fallback;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= min) return v;
            error ??= $"--{name} must be a number of at least {min.ToString(CultureInfo.InvariantCulture)}, got '{text}'";
            return fallback;
        }
        int Count(string name, int fallback)
        {
            if (!values.TryGetValue(name, out var text)) return fallback;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1) return v;
            error ??= $"--{name} must be a positive whole number, got '{text}'";
            return fallback;
        }
        var settings = new LoadSettings(nodes, Number("seconds", 60, 1), Count("clients", 16),
            Number("submit-every", 2, 0.1), Number("settle", 120, 1), Number("setup", 600, 1));
        return error is null ? (settings, null) : (null, error);
    }
}
