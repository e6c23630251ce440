namespace Vae.Engine.Export;

/// <summary>
/// Merges each eval-mode batch norm into the convolution before it. With s = gamma / sqrt(var + eps),
/// bn(conv(x)) = conv'(x) where W'[c] = s[c] W[c] and b'[c] = s[c] (b[c] - mean[c]) + beta[c], so the
/// exported graph runs one op where training ran two. A batch norm whose input is not a
/// convolution's output used by it alone (or whose weights are not constants) stays as it is.
/// </summary>
public static class BatchNormFolding
{
    public static Graph Apply(Graph graph)
    {
        var constants = graph.Constants.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in graph.Nodes.SelectMany(n => n.Inputs).Concat(graph.Outputs.Select(o => o.Name)))
            uses[name] = uses.GetValueOrDefault(name) + 1;
        var producers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Nodes.Count; i++)
            foreach (var output in graph.Nodes[i].Outputs) producers[output] = i;

        var nodes = graph.Nodes.ToArray();
        var dropped = new HashSet<int>();
        for (int i = 0; i < nodes.Length; i++)
        {
            var bn = nodes[i];
            if (bn.Op != "BatchNormalization" || !producers.TryGetValue(bn.Inputs[0], out int c)) continue;
            var conv = nodes[c];
            if (conv.Op != "Conv" || uses[bn.Inputs[0]] != 1 || !AllConstant(conv.Inputs.Skip(1), constants, uses) || !AllConstant(bn.Inputs.Skip(1), constants, uses))
                continue;

            var (weight, bias) = Fold(conv, bn, constants);
            foreach (var name in conv.Inputs.Skip(1).Concat(bn.Inputs.Skip(1))) constants.Remove(name);
            constants[weight.Name] = weight;
            constants[bias.Name] = bias;
            nodes[c] = conv with { Inputs = [conv.Inputs[0], weight.Name, bias.Name], Outputs = bn.Outputs };
            dropped.Add(i);
        }
        if (dropped.Count == 0) return graph;
        // Constants kept in their first order, folded ones where their convolution's were.
        var kept = graph.Constants.Select(c => c.Name).Where(constants.ContainsKey).ToList();
        var added = constants.Keys.Except(kept).ToList();
        return graph with
        {
            Nodes = [.. nodes.Where((_, i) => !dropped.Contains(i))],
            Constants = [.. kept.Concat(added).Select(n => constants[n])],
        };
    }

    private static bool AllConstant(IEnumerable<string> names, Dictionary<string, GraphConstant> constants, Dictionary<string, int> uses)
        => names.All(n => constants.TryGetValue(n, out var c) && c.Floats is not null && uses[n] == 1);

    private static (GraphConstant Weight, GraphConstant Bias) Fold(GraphNode conv, GraphNode bn, Dictionary<string, GraphConstant> constants)
    {
        var w = constants[conv.Inputs[1]];
        float[]? b = conv.Inputs.Count > 2 ? constants[conv.Inputs[2]].Floats : null;
        float[] gamma = constants[bn.Inputs[1]].Floats!, beta = constants[bn.Inputs[2]].Floats!;
        float[] mean = constants[bn.Inputs[3]].Floats!, variance = constants[bn.Inputs[4]].Floats!;
        float eps = bn.Attributes.TryGetValue("epsilon", out var e) ? (float)e : 1e-5f;

        int channels = w.Shape[0], perChannel = w.Floats!.Length / channels;
        var weight = new float[w.Floats.Length];
        var bias = new float[channels];
        for (int ch = 0; ch < channels; ch++)
        {
            double scale = gamma[ch] / Math.Sqrt(variance[ch] + (double)eps);
            for (int k = 0; k < perChannel; k++) weight[(ch * perChannel) + k] = (float)(w.Floats[(ch * perChannel) + k] * scale);
            bias[ch] = (float)((((b?[ch] ?? 0f) - (double)mean[ch]) * scale) + beta[ch]);
        }
        return (new GraphConstant(w.Name + ".folded", w.Shape, Floats: weight), new GraphConstant(w.Name + ".folded_bias", [channels], Floats: bias));
    }
}
