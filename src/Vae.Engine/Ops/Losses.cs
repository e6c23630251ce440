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
        // Training path: the gradient falls out of the forward pass's exponential, kept for backward.
        if (Autograd.Needs(logits) && !target.RequiresGrad)
        {
            SameBackend(logits, target);
            SameShape(logits, target, "bce_with_logits");
            var backend = logits.Backend;
            var y = Tensor.Empty([], backend);
            var gradient = Tensor.Empty(logits.Shape, backend);
            backend.BceWithLogitsAndGradient(logits.Buffer, target.Buffer, logits.Count, y.Buffer, gradient.Buffer);
            float norm = reduction == Reduction.Mean ? 1f / Math.Max(1, logits.Count) : 1f;
            if (norm != 1f) backend.Unary(Backends.UnaryKind.Scale, norm, y.Buffer, y.Buffer, 1);
            Autograd.Record(y, "bce_with_logits", [logits, target], dy =>
                backend.ScaledAdd(dy.Buffer, norm, gradient.Buffer, logits.GradForAccumulation().Buffer, logits.Count));
            return y;
        }
        return PairLoss(logits, target, reduction, "bce_with_logits",
            (b, r) => b.BceWithLogits(logits.Buffer, target.Buffer, logits.Count, r),
            (b, up, scale) => b.BceWithLogitsBackward(up, scale, logits.Buffer, target.Buffer,
                logits.RequiresGrad ? logits.GradForAccumulation().Buffer : null,
                target.RequiresGrad ? target.GradForAccumulation().Buffer : null, logits.Count));
    }

    /// <summary>Binary cross-entropy on probabilities, with PyTorch's clamp of each log at -100.</summary>
    public static Tensor BinaryCrossEntropy(Tensor probabilities, Tensor target, Reduction reduction = Reduction.Mean)
        => PairLoss(probabilities, target, reduction, "bce",
            (b, r) => b.Bce(probabilities.Buffer, target.Buffer, probabilities.Count, r),
            (b, up, scale) => b.BceBackward(up, scale, probabilities.Buffer, target.Buffer,
                probabilities.RequiresGrad ? probabilities.GradForAccumulation().Buffer : null,
                target.RequiresGrad ? target.GradForAccumulation().Buffer : null, probabilities.Count));

    /// <summary>Sum (or mean) of squared differences.</summary>
    public static Tensor SquaredError(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
        => PairLoss(prediction, target, reduction, "squared_error",
            (b, r) => b.SquaredError(prediction.Buffer, target.Buffer, prediction.Count, r),
            (b, up, scale) => b.SquaredErrorBackward(up, scale, prediction.Buffer, target.Buffer,
                prediction.RequiresGrad ? prediction.GradForAccumulation().Buffer : null,
                target.RequiresGrad ? target.GradForAccumulation().Buffer : null, prediction.Count));

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
    /// tensor broadcast against x (a single scalar in the CIFAR tutorial). Composed from primitives.
    /// </summary>
    public static Tensor GaussianNllLearnedScale(Tensor mean, Tensor logScale, Tensor x, Reduction reduction = Reduction.Sum)
    {
        // -log N(x; m, s) = 0.5 ((x - m) / s)^2 + log s + 0.5 log(2 pi)
        var z = Div(Sub(x, mean), Exp(logScale));
        var terms = AddScalar(Add(MulScalar(Square(z), 0.5f), logScale), 0.5f * MathF.Log(2f * MathF.PI));
        return reduction == Reduction.Sum ? Sum(terms) : Mean(terms);
    }

    private static Tensor PairLoss(Tensor a, Tensor b, Reduction reduction, string name,
        Action<Backends.IBackend, Backends.BufferRef> forward, Action<Backends.IBackend, Backends.BufferRef, float> backward)
    {
        SameBackend(a, b);
        SameShape(a, b, name);
        var backend = a.Backend;
        var y = Tensor.Empty([], backend);
        forward(backend, y.Buffer);
        float norm = reduction == Reduction.Mean ? 1f / Math.Max(1, a.Count) : 1f;
        if (norm != 1f) backend.Unary(Backends.UnaryKind.Scale, norm, y.Buffer, y.Buffer, 1);
        if (Autograd.Needs(a, b))
            Autograd.Record(y, name, [a, b], dy => backward(backend, dy.Buffer, norm));
        return y;
    }
}
