using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryKind.Add, a, b);
    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryKind.Sub, a, b);
    public static Tensor Mul(Tensor a, Tensor b) => Binary(BinaryKind.Mul, a, b);
    public static Tensor Div(Tensor a, Tensor b) => Binary(BinaryKind.Div, a, b);
    /// <summary>1 where a equals b, else 0; not differentiable (a mask).</summary>
    public static Tensor Equal(Tensor a, Tensor b) => Binary(BinaryKind.Equal, a, b);

    /// <summary>a op b with NumPy broadcasting; gradients are summed back over broadcast dimensions.</summary>
    private static Tensor Binary(BinaryKind kind, Tensor a, Tensor b)
    {
        SameBackend(a, b);
        a = Dense(a);
        b = Dense(b);
        var shape = BroadcastShape.Of(a.Shape, b.Shape);
        var y = Tensor.Empty(shape.Shape, a.Backend);
        a.Backend.Binary(kind, a.Buffer, b.Buffer, y.Buffer, shape);
        if (kind != BinaryKind.Equal && Autograd.Needs(a, b))
            Autograd.Record(y, kind.ToString().ToLowerInvariant(), [a, b], dy =>
                a.Backend.BinaryBackward(kind, a.Buffer, b.Buffer, dy.Buffer,
                    Tensor.GradTarget(a),
                    Tensor.GradTarget(b), shape));
        return y;
    }

    public static Tensor AddScalar(Tensor x, float value) => Unary(UnaryKind.AddScalar, x, value);
    public static Tensor MulScalar(Tensor x, float value) => Unary(UnaryKind.Scale, x, value);
    public static Tensor Neg(Tensor x) => Unary(UnaryKind.Neg, x);
}
