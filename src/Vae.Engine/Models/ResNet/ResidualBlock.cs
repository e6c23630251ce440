using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models.ResNet;

/// <summary>
/// A basic residual block: relu(b2(c2(relu(b1(c1(x))))) + shortcut(x)), each batch norm with its
/// ReLU (and the second with the residual sum) in one fused op. In the encoder c1 carries
/// the stride; in the decoder c1 keeps the width and c2 (and the shortcut) upsample first. The
/// shortcut is a 1x1 conv with batch norm whenever the shape changes, else the identity.
/// Parameter names follow the PyTorch model (c1, b1, c2, b2, short), so its weights load as they are.
/// </summary>
public sealed class ResidualBlock : Layer
{
    private readonly Layer _c1, _c2;
    private readonly BatchNorm _b1, _b2;
    private readonly Conv2d? _shortcutConv;
    private readonly BatchNorm? _shortcutNorm;
    private readonly int _upsample;

    public ResidualBlock(int inChannels, int outChannels, Generator generator, IBackend backend, int stride = 1, int upsample = 1, bool decoder = false)
    {
        int mid = decoder ? inChannels : outChannels;
        _c1 = RegisterModule<Layer>("c1", new Conv2d(inChannels, mid, 3, generator, stride: decoder ? 1 : stride, padding: 1, bias: false, backend: backend));
        _b1 = RegisterModule("b1", new BatchNorm(mid, activation: Activation.Relu, backend: backend));
        var c2 = new Conv2d(mid, outChannels, 3, generator, padding: 1, bias: false, backend: backend);
        _c2 = RegisterModule<Layer>("c2", upsample > 1 ? new Sequential(new Upsample(upsample), c2) : c2);
        _b2 = RegisterModule("b2", new BatchNorm(outChannels, activation: Activation.Relu, backend: backend));
        if (stride != 1 || upsample != 1 || inChannels != outChannels)
        {
            var layers = new List<Layer>();
            if (upsample > 1) layers.Add(new Upsample(upsample));
            layers.Add(_shortcutConv = new Conv2d(inChannels, outChannels, 1, generator, stride: stride, bias: false, backend: backend));
            layers.Add(_shortcutNorm = new BatchNorm(outChannels, backend: backend));
            RegisterModule("short", new Sequential([.. layers]));
        }
        _upsample = upsample;
    }

    public override Tensor Forward(Tensor x)
    {
        var c1 = _c1.Forward(x);
        var h = _b1.Forward(c1);                       // relu(b1(c1(x)))
        var c2 = _c2.Forward(h);
        var shortcut = _shortcutConv is null ? x : Shortcut(x);
        var y = _b2.Forward(c2, shortcut);             // relu(b2(c2(h)) + shortcut)
        if (!Autograd.IsEnabled)
        {
            // Inference keeps no graph, so the block's intermediates can go as soon as it is done.
            c1.Dispose(); h.Dispose(); c2.Dispose();
            if (!ReferenceEquals(shortcut, x)) shortcut.Dispose();
        }
        return y;
    }

    /// <summary>
    /// bn(conv1x1(upsample(x))), computed as bn(upsample(conv1x1(x))): nearest upsampling commutes
    /// with a 1x1 convolution, so the product runs on a quarter of the pixels and the large
    /// upsampled input is never stored.
    /// </summary>
    private Tensor Shortcut(Tensor x)
    {
        var projected = _shortcutConv!.Forward(x);
        if (_upsample > 1)
        {
            var small = projected;
            projected = F.UpsampleNearest(small, _upsample);
            if (!Autograd.IsEnabled) small.Dispose();
        }
        var normalised = _shortcutNorm!.Forward(projected);
        if (!Autograd.IsEnabled) projected.Dispose();
        return normalised;
    }

    public override string Export(GraphBuilder graph, string input)
    {
        var h = _b1.Export(graph, _c1.Export(graph, input));
        var c2 = _c2.Export(graph, h);
        string shortcut = input;
        if (_shortcutConv is not null)
        {
            // upsample(bn(conv1x1(x))): eval-mode batch norm is per channel, so it commutes with the
            // upsampling, and right after its conv it folds into it.
            shortcut = _shortcutNorm!.Export(graph, _shortcutConv.Export(graph, input));
            if (_upsample > 1) shortcut = graph.Upsample(shortcut, _upsample);
        }
        return _b2.Export(graph, c2, shortcut);
    }

    /// <summary>Parameters of a block with these settings, without building it.</summary>
    public static long CountParameters(int inChannels, int outChannels, int stride, int upsample, bool decoder)
    {
        int mid = decoder ? inChannels : outChannels;
        long count = Conv2d.CountParameters(inChannels, mid, 3, bias: false) + BatchNorm.CountParameters(mid)
                     + Conv2d.CountParameters(mid, outChannels, 3, bias: false) + BatchNorm.CountParameters(outChannels);
        if (stride != 1 || upsample != 1 || inChannels != outChannels)
            count += Conv2d.CountParameters(inChannels, outChannels, 1, bias: false) + BatchNorm.CountParameters(outChannels);
        return count;
    }
}
