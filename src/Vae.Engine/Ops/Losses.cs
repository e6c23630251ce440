using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

/// <summary>How a loss folds its per-element terms: their sum, or their mean over all elements (PyTorch's default).</summary>
public enum Reduction { Sum, Mean }

public static partial class F
{
    /// <summary>
    /// Binary cross-entropy on logits: sum of softplus(l) - t l. Equal to BCE(sigmoid(l), t) but
    /// stable for any logit, and its gradient is simply sigmoid(l) - t.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameBackend(logits, target);
        SameShape(logits, target, "bce_with_logits");
        if (logits.Backend.Kernels<ILossKernels>() is not { } fused)
            return Reduce(Sub(Softplus(logits), Mul(target, logits)), reduction);

        logits = Dense(logits);
        target = Dense(target);
        // Training path: the gradient falls out of the forward pass's exponential, kept for backward.
        if (Autograd.Needs(logits) && !target.RequiresGrad)
        {
            var backend = logits.Backend;
            var y = Tensor.Empty([], backend);
            var gradient = Tensor.Empty(logits.Shape, backend);
            fused.BceWithLogitsAndGradient(logits.Buffer, target.Buffer, logits.Count, y.Buffer, gradient.Buffer);
            float norm = reduction == Reduction.Mean ? 1f / Math.Max(1, logits.Count) : 1f;
            if (norm != 1f) backend.Unary(UnaryKind.Scale, norm, y.Buffer, y.Buffer, 1);
            Autograd.Record(y, "bce_with_logits", [logits, target], dy =>
            {
                // The gradient made with the loss becomes the logits' own when it is their first
                // (scaled in place, which a factor of one skips): no buffer of zeros, no pass to add.
                if (logits.TryAdoptGradient(gradient))
                    fused.ScaledAdd(dy.Buffer, norm, gradient.Buffer, gradient.Buffer, logits.Count, overwrite: true);
                else if (Tensor.GradWriteTarget(logits) is { } g)
                    fused.ScaledAdd(dy.Buffer, norm, gradient.Buffer, g.Buffer, logits.Count, g.Overwrite);
            });
            return y;
        }
        return PairLoss(logits, target, reduction, "bce_with_logits",
            r => fused.BceWithLogits(logits.Buffer, target.Buffer, logits.Count, r),
            (up, scale) => fused.BceWithLogitsBackward(up, scale, logits.Buffer, target.Buffer,
                Tensor.GradTarget(logits),
                Tensor.GradTarget(target), logits.Count));
    }

    /// <summary>Binary cross-entropy on probabilities, with PyTorch's clamp of each log at -100.</summary>
    public static Tensor BinaryCrossEntropy(Tensor probabilities, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameBackend(probabilities, target);
        SameShape(probabilities, target, "bce");
        if (probabilities.Backend.Kernels<ILossKernels>() is not { } fused)
        {
            var logP = ClampMin(Log(probabilities), -100f);
            var logQ = ClampMin(Log(AddScalar(Neg(probabilities), 1f)), -100f);
            var terms = Neg(Add(Mul(target, logP), Mul(AddScalar(Neg(target), 1f), logQ)));
            return Reduce(terms, reduction);
        }
        probabilities = Dense(probabilities);
        target = Dense(target);
        return PairLoss(probabilities, target, reduction, "bce",
            r => fused.Bce(probabilities.Buffer, target.Buffer, probabilities.Count, r),
            (up, scale) => fused.BceBackward(up, scale, probabilities.Buffer, target.Buffer,
                Tensor.GradTarget(probabilities),
                Tensor.GradTarget(target), probabilities.Count));
    }

    /// <summary>Sum (or mean) of squared differences.</summary>
    public static Tensor SquaredError(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameBackend(prediction, target);
        SameShape(prediction, target, "squared_error");
        if (prediction.Backend.Kernels<ILossKernels>() is not { } fused)
            return Reduce(Square(Sub(prediction, target)), reduction);
        prediction = Dense(prediction);
        target = Dense(target);
        return PairLoss(prediction, target, reduction, "squared_error",
            r => fused.SquaredError(prediction.Buffer, target.Buffer, prediction.Count, r),
            (up, scale) => fused.SquaredErrorBackward(up, scale, prediction.Buffer, target.Buffer,
                Tensor.GradTarget(prediction),
                Tensor.GradTarget(target), prediction.Count));
    }

    /// <summary>
    /// Negative log-likelihood of x under N(mean, sigma^2) with a fixed sigma:
    /// (x - mean)^2 / (2 sigma^2), plus log(sigma sqrt(2 pi)) per element when
    /// <paramref name="includeConstant"/> (then the value is a true NLL in nats; the gradient is the same).
    /// </summary>
    public static Tensor GaussianNll(Tensor mean, Tensor x, float sigma, Reduction reduction = Reduction.Sum, bool includeConstant = true)
    {
        if (!(sigma > 0) || float.IsInfinity(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), "sigma must be a positive finite number.");
        var squared = SquaredError(mean, x, reduction);
        var scaled = MulScalar(squared, 1f / (2f * sigma * sigma));
        if (!includeConstant) return scaled;
        float perElement = MathF.Log(sigma) + 0.5f * MathF.Log(2f * MathF.PI);
        return AddScalar(scaled, reduction == Reduction.Sum ? perElement * x.Count : perElement);
    }

    /// <summary>
    /// Negative log-likelihood of x under N(mean, exp(logScale)^2) where logScale is a learned
    /// tensor broadcast against x (one scalar in seed 001's CIFAR model). Composed from primitives.
    /// </summary>
    public static Tensor GaussianNllLearnedScale(Tensor mean, Tensor logScale, Tensor x, Reduction reduction = Reduction.Sum)
        => Reduce(GaussianNllTerms(mean, logScale, x), reduction);

    /// <summary>The per-element terms of <see cref="GaussianNllLearnedScale"/>: 0.5 ((x - m) / s)^2 + log s + 0.5 log(2 pi).</summary>
    public static Tensor GaussianNllTerms(Tensor mean, Tensor logScale, Tensor x)
    {
        var z = Div(Sub(x, mean), Exp(logScale));
        return AddScalar(Add(MulScalar(Square(z), 0.5f), logScale), 0.5f * MathF.Log(2f * MathF.PI));
    }

    /// <summary>log softmax along <paramref name="dim"/>, computed as x - max - log(sum(exp(x - max))).</summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1)
    {
        int d = ShapeOf.Dim(dim, x.Rank);
        Tensor shift;
        using (Autograd.NoGrad()) shift = Max(x, d, keepDim: true); // a constant shift: the result does not depend on it
        var shifted = Sub(x, shift);
        return Sub(shifted, Log(Sum(Exp(shifted), d, keepDim: true)));
    }

    /// <summary>Cross-entropy of logits (B, K) against class indices, as torch's cross_entropy.</summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels, Reduction reduction = Reduction.Mean)
    {
        if (logits.Rank != 2 || logits.Shape[0] != labels.Length)
            throw new ArgumentException($"CrossEntropy needs logits (B, K) and B labels, got {ShapeOf.Format(logits.Shape)} and {labels.Length} labels.");
        var picked = Sum(Mul(LogSoftmax(logits, 1), OneHot(labels, logits.Shape[1], logits.Backend)));
        var loss = Neg(picked);
        return reduction == Reduction.Mean ? MulScalar(loss, 1f / Math.Max(1, labels.Length)) : loss;
    }

    private static Tensor Reduce(Tensor terms, Reduction reduction) => reduction == Reduction.Sum ? Sum(terms) : Mean(terms);

    private static Tensor PairLoss(Tensor a, Tensor b, Reduction reduction, string name, Action<BufferRef> forward, Action<BufferRef, float> backward)
    {
        var backend = a.Backend;
        var y = Tensor.Empty([], backend);
        forward(y.Buffer);
        float norm = reduction == Reduction.Mean ? 1f / Math.Max(1, a.Count) : 1f;
        if (norm != 1f) backend.Unary(UnaryKind.Scale, norm, y.Buffer, y.Buffer, 1);
        if (Autograd.Needs(a, b))
            Autograd.Record(y, name, [a, b], dy => backward(dy.Buffer, norm));
        return y;
    }
}
