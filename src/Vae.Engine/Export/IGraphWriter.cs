namespace Vae.Engine.Export;

/// <summary>
/// Writes a <see cref="Graph"/> in a file format. The format's own library stays behind this, in
/// one folder (ONNX and Google.Protobuf: Export/Onnx), so the rest of the engine and the service
/// know only our graph.
/// </summary>
public interface IGraphWriter
{
    /// <summary>The file name extension of the format, without the dot ("onnx").</summary>
    string Extension { get; }

    void Write(Graph graph, Stream output);
}
