using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>Layers applied in order, named "0", "1", ... A Linear followed by an activation runs as one fused op.</summary>
public sealed class Sequential : Layer
{
    private readonly Layer[] _layers;

    public Sequential(params Layer[] layers)
    {
        _layers = layers;
        for (int i = 0; i < layers.Length; i++) RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    public IReadOnlyList<Layer> Layers => _layers;

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _layers.Length; i++)
        {
            if (_layers[i] is Linear { Activation: Activation.None } linear && i + 1 < _layers.Length && _layers[i + 1] is ActivationLayer act)
            {
                x = linear.ForwardWith(x, act.Activation, act.Slope);
                i++;
                continue;
            }
            x = _layers[i].Forward(x);
        }
        return x;
    }
}
