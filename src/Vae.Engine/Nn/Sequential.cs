using Vae.Engine.Export;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>Layers applied in order, named "0", "1", ... as in PyTorch's nn.Sequential.</summary>
public sealed class Sequential : Layer
{
    private readonly Layer[] _layers;

    public Sequential(params Layer[] layers)
    {
        _layers = layers;
        for (int i = 0; i < layers.Length; i++) RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    public IReadOnlyList<Layer> Layers => _layers;

    public override string Export(GraphBuilder graph, string input) => _layers.Aggregate(input, (x, layer) => layer.Export(graph, x));

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _layers[i];
            Tensor next;
            // A convolution followed by its activation runs as one op.
            if (layer is IFusesActivation fusing && i + 1 < _layers.Length && _layers[i + 1] is ActivationLayer activation)
            {
                next = fusing.Forward(x, activation.Activation, activation.Slope);
                i++;
            }
            else
            {
                next = layer.Forward(x);
            }
            // Without a graph nothing else refers to an intermediate result: free it now, so
            // inference over a large batch holds two activations at a time, not all of them.
            if (!Autograd.IsEnabled && !ReferenceEquals(x, input) && !ReferenceEquals(x, next)) x.Dispose();
            x = next;
        }
        return x;
    }
}
