using System.Globalization;
using Vae.Engine.Backends;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Export;

/// <summary>
/// Builds a <see cref="Graph"/> one operator at a time. Each method takes the names of its input
/// values and returns the name of its output, so a layer's export reads like its Forward. Weights
/// are copied from the tensors when they are added: the graph does not follow later training.
/// </summary>
public sealed class GraphBuilder
{
    private readonly List<GraphValue> _inputs = [], _outputs = [];
    private readonly List<GraphNode> _nodes = [];
    private readonly List<GraphConstant> _constants = [];
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    /// <summary>Declares an input of the graph; null in <paramref name="shape"/> is the batch dimension.</summary>
    public string Input(string name, ElementType type, int?[] shape, string description)
    {
        _inputs.Add(new GraphValue(name, type, shape, description));
        Reserve(name);
        return name;
    }

    /// <summary>Makes <paramref name="value"/> an output of the graph under <paramref name="name"/>.</summary>
    public void Output(string value, string name, int?[] shape, string description)
    {
        Reserve(name);
        _nodes.Add(new GraphNode("Identity", [value], [name], Empty));
        _outputs.Add(new GraphValue(name, ElementType.Float32, shape, description));
    }

    public Graph Build(string name, string description, IReadOnlyDictionary<string, string> metadata)
        => new(name, description, [.. _inputs], [.. _outputs], [.. _nodes], [.. _constants], metadata);

    // ---- constants ----

    /// <summary>A tensor's current values as a constant.</summary>
    public string Weight(Tensor tensor, string hint) => Constant(hint, (int[])tensor.Shape.Clone(), tensor.ToArray());

    public string Constant(string hint, int[] shape, float[] values)
    {
        string name = Fresh(hint);
        _constants.Add(new GraphConstant(name, shape, Floats: values));
        return name;
    }

    /// <summary>A 1-d int64 constant (a shape, an axis list), or a scalar when <paramref name="scalar"/>.</summary>
    public string Int64s(string hint, long[] values, bool scalar = false)
    {
        string name = Fresh(hint);
        _constants.Add(new GraphConstant(name, scalar ? [] : [values.Length], Int64s: values));
        return name;
    }

    // ---- operators ----

    /// <summary>One node with one output; the output's name is made from <paramref name="op"/>.</summary>
    public string Node(string op, string[] inputs, IReadOnlyDictionary<string, object>? attributes = null)
    {
        string output = Fresh(op.ToLowerInvariant());
        _nodes.Add(new GraphNode(op, inputs, [output], attributes ?? Empty));
        return output;
    }

    /// <summary>act(x W^T + b) for x (B, in), W (out, in), b (out): PyTorch's nn.Linear.</summary>
    public string Linear(string x, Tensor weight, Tensor? bias, Activation activation = Activation.None, float slope = 0.01f)
    {
        string[] inputs = bias is null ? [x, Weight(weight, "linear.weight")] : [x, Weight(weight, "linear.weight"), Weight(bias, "linear.bias")];
        return Activate(Node("Gemm", inputs, new Dictionary<string, object> { ["transB"] = 1L }), activation, slope);
    }

    public string Activate(string x, Activation activation, float slope = 0.01f) => activation switch
    {
        Activation.None => x,
        Activation.Relu => Node("Relu", [x]),
        Activation.LeakyRelu => Node("LeakyRelu", [x], new Dictionary<string, object> { ["alpha"] = slope }),
        Activation.Sigmoid => Node("Sigmoid", [x]),
        Activation.Tanh => Node("Tanh", [x]),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    /// <summary>A 2-d convolution, weight (out, in, kh, kw), as PyTorch's nn.Conv2d.</summary>
    public string Conv(string x, Tensor weight, Tensor? bias, Size2 stride, Size2 padding, Size2 dilation)
    {
        string[] inputs = bias is null ? [x, Weight(weight, "conv.weight")] : [x, Weight(weight, "conv.weight"), Weight(bias, "conv.bias")];
        return Node("Conv", inputs, new Dictionary<string, object>
        {
            ["kernel_shape"] = new long[] { weight.Shape[2], weight.Shape[3] },
            ["strides"] = new long[] { stride.H, stride.W },
            ["pads"] = new long[] { padding.H, padding.W, padding.H, padding.W },
            ["dilations"] = new long[] { dilation.H, dilation.W },
        });
    }

    /// <summary>A transposed convolution, weight (in, out, kh, kw), as PyTorch's nn.ConvTranspose2d.</summary>
    public string ConvTranspose(string x, Tensor weight, Tensor? bias, Size2 stride, Size2 padding, Size2 outputPadding)
    {
        string[] inputs = bias is null ? [x, Weight(weight, "deconv.weight")] : [x, Weight(weight, "deconv.weight"), Weight(bias, "deconv.bias")];
        return Node("ConvTranspose", inputs, new Dictionary<string, object>
        {
            ["kernel_shape"] = new long[] { weight.Shape[2], weight.Shape[3] },
            ["strides"] = new long[] { stride.H, stride.W },
            ["pads"] = new long[] { padding.H, padding.W, padding.H, padding.W },
            ["output_padding"] = new long[] { outputPadding.H, outputPadding.W },
        });
    }

    /// <summary>Batch norm with its running statistics (eval mode); <see cref="BatchNormFolding"/> later merges it into the conv before it.</summary>
    public string BatchNorm(string x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, float eps)
        => Node("BatchNormalization",
            [x, Weight(weight, "bn.weight"), Weight(bias, "bn.bias"), Weight(runningMean, "bn.running_mean"), Weight(runningVar, "bn.running_var")],
            new Dictionary<string, object> { ["epsilon"] = eps });

    /// <summary>Nearest-neighbour upsampling by integer factors, as PyTorch's nn.Upsample (each pixel becomes a block).</summary>
    public string Upsample(string x, Size2 scale)
    {
        string scales = Constant("upsample.scales", [4], [1f, 1f, scale.H, scale.W]);
        return Node("Resize", [x, "", scales], new Dictionary<string, object>
        {
            ["mode"] = "nearest",
            ["coordinate_transformation_mode"] = "asymmetric",
            ["nearest_mode"] = "floor",
        });
    }

    /// <summary>(B, ...) to (B, rest): everything after the batch in one row.</summary>
    public string Flatten(string x) => Node("Flatten", [x], new Dictionary<string, object> { ["axis"] = 1L });

    /// <summary>(B, ...) to (B, <paramref name="shape"/>), the batch whatever it is.</summary>
    public string Reshape(string x, params int[] shape)
        => Node("Reshape", [x, Int64s("shape", [-1, .. shape.Select(d => (long)d)])]);

    /// <summary>Rows joined feature-wise: (B, a), (B, b) to (B, a + b).</summary>
    public string Concat(params string[] xs) => Node("Concat", xs, new Dictionary<string, object> { ["axis"] = 1L });

    public string Add(string a, string b) => Node("Add", [a, b]);

    /// <summary>(B, C, H, W) to (B, C): the mean over each channel's pixels.</summary>
    public string GlobalAveragePool(string x) => Flatten(Node("GlobalAveragePool", [x]));

    /// <summary>int64 labels (B) to one-hot float rows (B, <paramref name="classes"/>); a label outside 0..classes-1 gives a row of zeros.</summary>
    public string OneHot(string labels, int classes)
        => Node("OneHot", [labels, Int64s("classes", [classes], scalar: true), Constant("onehot.values", [2], [0f, 1f])],
            new Dictionary<string, object> { ["axis"] = -1L });

    /// <summary>Values limited to [min, max].</summary>
    public string Clip(string x, float min, float max)
        => Node("Clip", [x, Constant("clip.min", [], [min]), Constant("clip.max", [], [max])]);

    // The graph's own inputs and outputs keep their names; a value made later with the same hint gets a number.
    private void Reserve(string name)
    {
        if (!_counters.TryAdd(name, 0)) throw new ArgumentException($"The graph already has a value named '{name}'.", nameof(name));
    }

    private string Fresh(string hint)
    {
        int n = _counters.TryGetValue(hint, out int seen) ? seen + 1 : 0;
        _counters[hint] = n;
        return n == 0 ? hint : hint + "_" + n.ToString(CultureInfo.InvariantCulture);
    }

    private static readonly IReadOnlyDictionary<string, object> Empty = new Dictionary<string, object>();
}
