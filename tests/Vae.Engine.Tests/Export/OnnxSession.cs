using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Vae.Engine.Tests.Export;

/// <summary>An exported model run by ONNX Runtime, the independent judge of what the file computes.</summary>
public sealed class OnnxSession : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxSession(byte[] model)
    {
        // One thread and no graph rewrites beyond the basic ones: what runs is what the file says.
        var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        _session = new InferenceSession(model, options);
    }

    public IReadOnlyDictionary<string, NodeMetadata> Inputs => _session.InputMetadata;
    public IReadOnlyDictionary<string, NodeMetadata> Outputs => _session.OutputMetadata;

    /// <summary>Runs the model on float inputs of the given shapes and, when given, int64 labels; every output as a flat array.</summary>
    public Dictionary<string, float[]> Run(IReadOnlyDictionary<string, (float[] Data, int[] Shape)> floats, (string Name, long[] Values)? labels = null)
    {
        var inputs = floats.Select(f => NamedOnnxValue.CreateFromTensor(f.Key, new DenseTensor<float>(f.Value.Data, f.Value.Shape))).ToList();
        if (labels is { } l) inputs.Add(NamedOnnxValue.CreateFromTensor(l.Name, new DenseTensor<long>(l.Values, [l.Values.Length])));
        using var results = _session.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    public void Dispose() => _session.Dispose();
}
