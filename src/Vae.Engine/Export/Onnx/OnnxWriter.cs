using System.Runtime.InteropServices;
using Google.Protobuf;
using Vae.Engine.Export.Onnx.Proto;

namespace Vae.Engine.Export.Onnx;

/// <summary>
/// Writes a graph as an ONNX model: IR version 8, the default operator set at
/// <see cref="Graph.OpsetVersion"/>, weights as initializers in raw little-endian bytes, the batch
/// dimension as the symbolic "batch". The message classes come from onnx.proto in this folder,
/// compiled with Google.Protobuf at build time; nothing outside this folder sees them.
/// </summary>
public sealed class OnnxWriter : IGraphWriter
{
    public const long IrVersion = 8;
    public const string BatchDimension = "batch";

    public string Extension => "onnx";

    public void Write(Graph graph, Stream output)
    {
        // Raw data is little-endian by the format's definition; so is every machine this runs on.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export needs a little-endian machine.");
        ToModel(graph).WriteTo(output);
    }

    internal static ModelProto ToModel(Graph graph)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "vae-engine",
            ProducerVersion = typeof(OnnxWriter).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = graph.Description,
            Graph = ToGraph(graph),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Graph.OpsetVersion });
        foreach (var (key, value) in graph.Metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static GraphProto ToGraph(Graph graph)
    {
        var proto = new GraphProto { Name = graph.Name, DocString = graph.Description };
        proto.Input.AddRange(graph.Inputs.Select(ToValueInfo));
        proto.Output.AddRange(graph.Outputs.Select(ToValueInfo));
        proto.Initializer.AddRange(graph.Constants.Select(ToTensor));
        int index = 0;
        foreach (var node in graph.Nodes)
        {
            var n = new NodeProto { OpType = node.Op, Name = $"{node.Op}_{index++}" };
            n.Input.AddRange(node.Inputs);
            n.Output.AddRange(node.Outputs);
            n.Attribute.AddRange(node.Attributes.Select(a => ToAttribute(a.Key, a.Value)));
            proto.Node.Add(n);
        }
        return proto;
    }

    private static ValueInfoProto ToValueInfo(GraphValue value)
    {
        var shape = new TensorShapeProto();
        foreach (int? dim in value.Shape)
            shape.Dim.Add(dim is { } size ? new TensorShapeProto.Types.Dimension { DimValue = size } : new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        return new ValueInfoProto
        {
            Name = value.Name,
            DocString = value.Description,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = ElementTypeOf(value.Type), Shape = shape } },
        };
    }

    private static TensorProto ToTensor(GraphConstant constant)
    {
        var tensor = new TensorProto { Name = constant.Name, DataType = ElementTypeOf(constant.Type) };
        tensor.Dims.AddRange(constant.Shape.Select(d => (long)d));
        tensor.RawData = constant.Floats is { } floats
            ? ByteString.CopyFrom(MemoryMarshal.AsBytes(floats.AsSpan()))
            : ByteString.CopyFrom(MemoryMarshal.AsBytes(constant.Int64s.AsSpan()));
        return tensor;
    }

    private static AttributeProto ToAttribute(string name, object value) => value switch
    {
        long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
        long[] ints => WithInts(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints }, ints),
        _ => throw new ArgumentException($"Attribute '{name}' has a value of type {value.GetType().Name}; graph attributes are long, float, string or long[].", nameof(value)),
    };

    private static AttributeProto WithInts(AttributeProto attribute, long[] ints)
    {
        attribute.Ints.AddRange(ints);
        return attribute;
    }

    private static int ElementTypeOf(ElementType type) => type switch
    {
        ElementType.Float32 => (int)TensorProto.Types.DataType.Float,
        ElementType.Int64 => (int)TensorProto.Types.DataType.Int64,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
