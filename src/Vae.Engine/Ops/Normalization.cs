using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>
    /// Batch normalisation over dimension 1 of x: (N, C), (N, C, L) or (N, C, H, W), as torch's
    /// batch_norm. Training normalises with the batch's mean and biased variance and moves the
    /// running statistics toward them (running_var with the unbiased variance), in place; eval
    /// normalises with the running statistics. weight and bias (C) are optional.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (x.Rank < 2) throw new ArgumentException($"BatchNorm needs (N, C, ...), got {ShapeOf.Format(x.Shape)}.");
        int n = x.Shape[0], channels = x.Shape[1], inner = x.Count / Math.Max(1, n * channels);
        foreach (var (t, name) in new[] { (runningMean, "running mean"), (runningVar, "running variance"), (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            SameBackend(x, t);
            if (t.Rank != 1 || t.Shape[0] != channels) throw new ArgumentException($"BatchNorm's {name} must have shape ({channels}), got {ShapeOf.Format(t.Shape)}.");
        }
        long perChannel = (long)n * inner;
        if (training && perChannel < 2) throw new ArgumentException($"BatchNorm in training needs more than one value per channel, got input {ShapeOf.Format(x.Shape)}.");

        var view = Reshape(x, n, channels, inner); // (N, C, L)
        Tensor normalised;
        if (training)
        {
            var mean = Mean(view, [0, 2], keepDim: true);           // (1, C, 1)
            var centred = Sub(view, mean);
            var variance = Mean(Square(centred), [0, 2], keepDim: true);
            normalised = Div(centred, Sqrt(AddScalar(variance, eps)));
            using (Autograd.NoGrad())
            {
                runningMean.CopyFrom(Add(MulScalar(runningMean, 1 - momentum), MulScalar(Reshape(mean.Detach(), channels), momentum)));
                float unbias = perChannel / (float)(perChannel - 1);
                runningVar.CopyFrom(Add(MulScalar(runningVar, 1 - momentum), MulScalar(Reshape(variance.Detach(), channels), momentum * unbias)));
            }
        }
        else
        {
            var mean = Reshape(runningMean, 1, channels, 1);
            var std = Sqrt(AddScalar(Reshape(runningVar, 1, channels, 1), eps));
            normalised = Div(Sub(view, mean), std);
        }
        if (weight is not null) normalised = Mul(normalised, Reshape(weight, 1, channels, 1));
        if (bias is not null) normalised = Add(normalised, Reshape(bias, 1, channels, 1));
        return Reshape(normalised, x.Shape);
    }
}
