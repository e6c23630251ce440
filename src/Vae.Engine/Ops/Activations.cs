using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    public static Tensor Relu(Tensor x) => Unary(UnaryKind.Relu, x);
    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f) => Unary(UnaryKind.LeakyRelu, x, negativeSlope);
    public static Tensor Sigmoid(Tensor x) => Unary(UnaryKind.Sigmoid, x);
    public static Tensor Tanh(Tensor x) => Unary(UnaryKind.Tanh, x);
    public static Tensor Exp(Tensor x) => Unary(UnaryKind.Exp, x);
    public static Tensor Log(Tensor x) => Unary(UnaryKind.Log, x);
    /// <summary>log(1 + exp(x)), computed without overflow.</summary>
    public static Tensor Softplus(Tensor x) => Unary(UnaryKind.Softplus, x);
    public static Tensor Square(Tensor x) => Unary(UnaryKind.Square, x);
    public static Tensor Sqrt(Tensor x) => Unary(UnaryKind.Sqrt, x);
    public static Tensor Abs(Tensor x) => Unary(UnaryKind.Abs, x);
    /// <summary>max(x, min), with the gradient passed where x is at or above min (torch.clamp(min=...)).</summary>
    public static Tensor ClampMin(Tensor x, float min) => Unary(UnaryKind.ClampMin, x, min);
    /// <summary>1 where x &gt; threshold, else 0; not differentiable (a mask).</summary>
    public static Tensor Step(Tensor x, float threshold) => Unary(UnaryKind.Step, x, threshold);

    /// <summary>Applies an activation as its own op (the fused form lives in <see cref="Linear"/>).</summary>
    public static Tensor Activate(Tensor x, Activation activation, float slope = 0.01f) => activation switch
    {
        Activation.None => x,
        Activation.Relu => Relu(x),
        Activation.LeakyRelu => LeakyRelu(x, slope),
        Activation.Sigmoid => Sigmoid(x),
        Activation.Tanh => Tanh(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    private static Tensor Unary(UnaryKind kind, Tensor x, float alpha = 0f)
    {
        x = Dense(x);
        var y = Tensor.Empty(x.Shape, x.Backend);
        x.Backend.Unary(kind, alpha, x.Buffer, y.Buffer, x.Count);
        if (kind != UnaryKind.Step && Autograd.Needs(x))
            Autograd.Record(y, kind.ToString().ToLowerInvariant(), [x], dy =>
                x.Backend.UnaryBackward(kind, alpha, x.Buffer, y.Buffer, dy.Buffer, x.GradForAccumulation().Buffer, x.Count));
        return y;
    }
}
