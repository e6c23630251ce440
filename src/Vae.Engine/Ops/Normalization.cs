using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>
    /// Batch normalisation over dimension 1 of x: (N, C), (N, C, L) or (N, C, H, W), as torch's
    /// batch_norm. Training normalises with the batch's mean and biased variance and moves the
    /// running statistics toward them (running_var with the unbiased variance), in place; eval
    /// normalises with the running statistics. weight and bias (C) are optional. A residual of x's
    /// shape is added after the affine step and a ReLU may follow, as a residual block ends: with
    /// fused kernels all of it is one pass, and only the output is kept for the backward pass.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, bool training, float momentum = 0.1f, float eps = 1e-5f,
        Tensor? residual = null, Activation activation = Activation.None)
    {
        if (activation is not (Activation.None or Activation.Relu)) throw new ArgumentException($"BatchNorm fuses only a ReLU, got {activation}.");
        if (residual is not null) { SameBackend(x, residual); SameShape(x, residual, "BatchNorm's residual"); }
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

        if (x.Backend.Kernels<IBatchNormKernels>() is { } fused)
            return FusedBatchNorm(fused, Dense(x), runningMean, runningVar, weight, bias, training, momentum, eps, n, channels, inner, residual is null ? null : Dense(residual), activation);

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
        var result = Reshape(normalised, x.Shape);
        if (residual is not null) result = Add(result, residual);
        return Activate(result, activation);
    }

    /// <summary>Batch norm in one pass over the statistics and one over the values, with its backward beside it.</summary>
    private static Tensor FusedBatchNorm(IBatchNormKernels fused, Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum, float eps, int n, int channels, int inner, Tensor? residual, Activation activation)
    {
        var backend = x.Backend;
        var mean = Tensor.Empty([channels], backend);
        var invStd = Tensor.Empty([channels], backend);
        if (!training)
        {
            backend.Copy(runningMean.Buffer, [1], mean.Buffer, [1], [channels], accumulate: false);
            using (Autograd.NoGrad()) invStd.CopyFrom(Div(Tensor.Ones([channels], backend), Sqrt(AddScalar(runningVar, eps))));
        }
        var y = Tensor.Empty(x.Shape, backend);
        fused.BatchNormForward(x.Buffer, y.Buffer, n, channels, inner, weight?.Buffer, bias?.Buffer, residual?.Buffer, activation, mean.Buffer, invStd.Buffer, training, eps);
        if (training)
        {
            using (Autograd.NoGrad())
            {
                // var = 1 / invStd^2 - eps, the biased batch variance; running_var takes the unbiased one.
                long perChannel = (long)n * inner;
                var variance = AddScalar(Div(Tensor.Ones([channels], backend), Square(invStd)), -eps);
                runningMean.CopyFrom(Add(MulScalar(runningMean, 1 - momentum), MulScalar(mean, momentum)));
                runningVar.CopyFrom(Add(MulScalar(runningVar, 1 - momentum), MulScalar(variance, momentum * perChannel / (float)(perChannel - 1))));
            }
        }
        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        if (residual is not null) inputs.Add(residual);
        if (Autograd.Needs(inputs.ToArray()))
            Autograd.Record(y, "batch_norm", [.. inputs], dy =>
                fused.BatchNormBackward(x.Buffer, y.Buffer, dy.Buffer, n, channels, inner, weight?.Buffer, activation, mean.Buffer, invStd.Buffer, training,
                    Tensor.GradTarget(x),
                    Tensor.GradTarget(weight),
                    Tensor.GradTarget(bias),
                    Tensor.GradTarget(residual)));
        return y;
    }
}
