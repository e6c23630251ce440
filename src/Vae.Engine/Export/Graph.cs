namespace Vae.Engine.Export;

/// <summary>Element types of a graph's values: float32 images, codes and weights; int64 labels and shapes.</summary>
public enum ElementType { Float32, Int64 }

/// <summary>An input or output of a graph. A null dimension is the batch: any size.</summary>
public sealed record GraphValue(string Name, ElementType Type, int?[] Shape, string Description);

/// <summary>A constant of a graph (a weight, a shape): row-major values, floats or int64s.</summary>
public sealed record GraphConstant(string Name, int[] Shape, float[]? Floats = null, long[]? Int64s = null)
{
    public ElementType Type => Floats is null ? ElementType.Int64 : ElementType.Float32;
}

/// <summary>
/// One operation, named as in ONNX's default operator set (Gemm, Conv, Relu, ...). Attribute values
/// are <c>long</c>, <c>float</c>, <c>string</c> or <c>long[]</c>. An input named "" is an optional
/// input left out.
/// </summary>
public sealed record GraphNode(string Op, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, object> Attributes);

/// <summary>
/// A model part (encoder or decoder) as a dataflow graph of ONNX operators, free of any file format:
/// nodes in an order where each input is made before it is used, constants holding the weights.
/// </summary>
public sealed record Graph(
    string Name, string Description, IReadOnlyList<GraphValue> Inputs, IReadOnlyList<GraphValue> Outputs,
    IReadOnlyList<GraphNode> Nodes, IReadOnlyList<GraphConstant> Constants, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The ONNX operator set the nodes are written for.</summary>
    public const int OpsetVersion = 17;
}
