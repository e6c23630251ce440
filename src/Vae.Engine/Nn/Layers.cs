using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>An activation as a layer of its own, for stacks built with <see cref="Sequential"/>.</summary>
public sealed class ActivationLayer(Activation activation, float slope = 0.01f) : Layer
{
    public Activation Activation { get; } = activation;
    public override Tensor Forward(Tensor input) => F.Activate(input, Activation, slope);
    public override string Export(GraphBuilder graph, string input) => graph.Activate(input, Activation, slope);
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
