using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>An activation as a layer of its own, for stacks built with <see cref="Sequential"/>.</summary>
public sealed class ActivationLayer(Activation activation, float slope = 0.01f) : Layer
{
    public Activation Activation { get; } = activation;
    /// <summary>The negative slope of a leaky ReLU.</summary>
    public float Slope { get; } = slope;
    public override Tensor Forward(Tensor input) => F.Activate(input, Activation, Slope);
    public override string Export(GraphBuilder graph, string input) => graph.Activate(input, Activation, Slope);
}

/// <summary>
/// A layer that can apply the activation following it in the same pass (a convolution's bias and
/// ReLU in one kernel): <see cref="Sequential"/> hands it the next <see cref="ActivationLayer"/>'s
/// activation, so models keep their layers (and parameter names) while the work is fused.
/// </summary>
public interface IFusesActivation
{
    /// <summary>The same as this layer's Forward followed by the activation.</summary>
    Tensor Forward(Tensor input, Activation activation, float slope);
}

/// <summary>Nearest-neighbour upsampling by an integer factor, as nn.Upsample(scale_factor=s).</summary>
public sealed class Upsample(Size2 scale) : Layer
{
    public Size2 Scale { get; } = scale;
    public override Tensor Forward(Tensor input) => F.UpsampleNearest(input, Scale);
    public override string Export(GraphBuilder graph, string input) => graph.Upsample(input, Scale);
}

/// <summary>Inverted dropout: active in training mode, the identity in eval mode.</summary>
public sealed class Dropout(float p, Generator generator) : Layer
{
    public float P { get; } = p;
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training, generator);
    /// <summary>The identity: an exported graph is the model in eval mode.</summary>
    public override string Export(GraphBuilder graph, string input) => input;
}

/// <summary>(N, C, H, W) to (N, C*H*W).</summary>
public sealed class Flatten : Layer
{
    public override Tensor Forward(Tensor input) => F.Flatten(input);
    public override string Export(GraphBuilder graph, string input) => graph.Flatten(input);
}

/// <summary>(N, C*H*W) to (N, C, H, W).</summary>
public sealed class Unflatten(params int[] shape) : Layer
{
    public override Tensor Forward(Tensor input) => F.Unflatten(input, 1, shape);
    public override string Export(GraphBuilder graph, string input) => graph.Reshape(input, shape);
}
