using Vae.Engine.Ops;

namespace Vae.Engine.Tensors;

/// <summary>PyTorch-style methods and operators; each forwards to <see cref="F"/>.</summary>
public sealed partial class Tensor
{
    public Tensor MatMul(Tensor other) => F.MatMul(this, other);
    public Tensor Add(Tensor other) => F.Add(this, other);
    public Tensor Sub(Tensor other) => F.Sub(this, other);
    public Tensor Mul(Tensor other) => F.Mul(this, other);
    public Tensor Div(Tensor other) => F.Div(this, other);
    public Tensor Relu() => F.Relu(this);
    public Tensor LeakyRelu(float negativeSlope = 0.01f) => F.LeakyRelu(this, negativeSlope);
    public Tensor Sigmoid() => F.Sigmoid(this);
    public Tensor Tanh() => F.Tanh(this);
    public Tensor Exp() => F.Exp(this);
    public Tensor Log() => F.Log(this);
    public Tensor Softplus() => F.Softplus(this);
    public Tensor Square() => F.Square(this);
    public Tensor Sqrt() => F.Sqrt(this);
    public Tensor Abs() => F.Abs(this);
    public Tensor Sum() => F.Sum(this);
    public Tensor Sum(int dim, bool keepDim = false) => F.Sum(this, dim, keepDim);
    public Tensor Sum(int[] dims, bool keepDim = false) => F.Sum(this, dims, keepDim);
    public Tensor Mean() => F.Mean(this);
    public Tensor Mean(int dim, bool keepDim = false) => F.Mean(this, dim, keepDim);
    public Tensor Mean(int[] dims, bool keepDim = false) => F.Mean(this, dims, keepDim);
    public Tensor Max(int dim, bool keepDim = false) => F.Max(this, dim, keepDim);
    public Tensor Reshape(params int[] shape) => F.Reshape(this, shape);
    /// <summary>Same as <see cref="Reshape"/> (which copies a strided tensor that cannot be viewed).</summary>
    public Tensor View(params int[] shape) => F.Reshape(this, shape);
    /// <summary>Elements [start, start + length) along <paramref name="dim"/>, sharing memory.</summary>
    public Tensor Narrow(int dim, int start, int length) => F.Narrow(this, dim, start, length);
    public Tensor Transpose(int dim0, int dim1) => F.Transpose(this, dim0, dim1);
    /// <summary>The matrix transpose of a 2-D tensor, as a view.</summary>
    public Tensor T => F.Transpose(this, 0, 1);
    public Tensor Permute(params int[] dims) => F.Permute(this, dims);
    public Tensor Expand(params int[] shape) => F.Expand(this, shape);
    public Tensor Unsqueeze(int dim) => F.Unsqueeze(this, dim);
    public Tensor Squeeze(int dim) => F.Squeeze(this, dim);
    public Tensor Flatten(int startDim = 1, int endDim = -1) => F.Flatten(this, startDim, endDim);
    public Tensor Contiguous() => F.Contiguous(this);

    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => F.Cat(tensors, dim);

    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);
    public static Tensor operator -(Tensor a) => F.Neg(a);
    public static Tensor operator +(Tensor a, float b) => F.AddScalar(a, b);
    public static Tensor operator +(float a, Tensor b) => F.AddScalar(b, a);
    public static Tensor operator -(Tensor a, float b) => F.AddScalar(a, -b);
    public static Tensor operator -(float a, Tensor b) => F.AddScalar(F.Neg(b), a);
    public static Tensor operator *(Tensor a, float b) => F.MulScalar(a, b);
    public static Tensor operator *(float a, Tensor b) => F.MulScalar(b, a);
    public static Tensor operator /(Tensor a, float b) => F.MulScalar(a, 1f / b);
}
