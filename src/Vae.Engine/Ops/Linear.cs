using Vae.Engine.Backends;
using Vae.Engine.Diagnostics;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>
    /// y = act(x W^T + b) with x: (B, in), weight: (out, in), bias: (out). With fused kernels the
    /// bias and activation are applied in one pass over the product, and the backward pass takes
    /// the activation's derivative from y, so no pre-activation tensor is kept. Otherwise it is
    /// x.MatMul(W^T) + b followed by the activation (the oracle the tests hold the fused form to).
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null, Activation activation = Activation.None, float slope = 0.01f)
    {
        SameBackend(x, weight);
        if (x.Rank != 2 || weight.Rank != 2 || x.Shape[1] != weight.Shape[1])
            throw new ArgumentException($"Linear needs x: (B, in) and weight: (out, in), got {ShapeOf.Format(x.Shape)} and {ShapeOf.Format(weight.Shape)}.");
        int rows = x.Shape[0], inF = x.Shape[1], outF = weight.Shape[0];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outF))
            throw new ArgumentException($"Linear's bias must have shape ({outF}), got {ShapeOf.Format(bias.Shape)}.");

        var backend = x.Backend;
        if (backend.Kernels<IDenseKernels>() is not { } fused)
        {
            var product = MatMul(x, Transpose(weight, 0, 1));
            return Activate(bias is null ? product : Add(product, bias), activation, slope);
        }

        x = Dense(x);
        weight = Dense(weight);
        long flops = 2L * rows * inF * outF;
        if (StepProfiler.Active && Autograd.Needs(x, weight)) StepProfiler.BackwardWork(flops * ((weight.RequiresGrad ? 1 : 0) + (x.RequiresGrad ? 1 : 0)));
        var y = DenseForward(fused, x, weight, transposed: false, outF, bias, activation, slope);

        bool needs = bias is null ? Autograd.Needs(x, weight) : Autograd.Needs(x, weight, bias);
        if (needs)
            Autograd.Record(y, "linear", bias is null ? [x, weight] : [x, weight, bias], dy =>
            {
                // dZ: (B, out) is the gradient before the activation.
                Tensor dz = dy;
                if (activation != Activation.None)
                {
                    dz = Tensor.Empty(y.Shape, backend);
                    fused.ActivationBackward(activation, slope, y.Buffer, dy.Buffer, dz.Buffer, dy.Count);
                }
                if (Tensor.GradWriteTarget(bias) is { } db) fused.ColumnSum(dz.Buffer, rows, outF, db.Buffer, accumulate: !db.Overwrite);
                fused.LinearGradients(dz.Buffer, x.Buffer, weight.Buffer, rows, inF, outF,
                    Tensor.GradWriteTarget(weight), Tensor.GradWriteTarget(x));
            });
        return y;
    }

    /// <summary>
    /// act(x Wt + b) from the weight laid out transposed, weightT: (in, out), for a forward pass that
    /// records no gradient: a frozen <see cref="Nn.Linear"/> layer's (see <see cref="Nn.Module.Freeze"/>).
    /// The same values as <see cref="Linear"/> within rounding.
    /// </summary>
    internal static Tensor LinearFromTransposed(Tensor x, Tensor weightT, Tensor? bias, Activation activation, float slope)
    {
        SameBackend(x, weightT);
        if (x.Rank != 2 || weightT.Rank != 2 || x.Shape[1] != weightT.Shape[0])
            throw new ArgumentException($"A transposed Linear needs x: (B, in) and weightT: (in, out), got {ShapeOf.Format(x.Shape)} and {ShapeOf.Format(weightT.Shape)}.");
        if (Autograd.Needs(x)) throw new InvalidOperationException("A Linear from a transposed weight copy records no gradient; use Linear where one is needed.");
        if (x.Backend.Kernels<IDenseKernels>() is not { } fused)
        {
            var product = MatMul(x, weightT);
            return Activate(bias is null ? product : Add(product, bias), activation, slope);
        }
        return DenseForward(fused, Dense(x), Dense(weightT), transposed: true, weightT.Shape[1], bias, activation, slope);
    }

    /// <summary>y = act(x W^T + b) through the backend's product and fused tail, from W (out, in) or, transposed, W^T (in, out).</summary>
    private static Tensor DenseForward(IDenseKernels fused, Tensor x, Tensor weight, bool transposed, int outF, Tensor? bias, Activation activation, float slope)
    {
        int rows = x.Shape[0], inF = x.Shape[1];
        var backend = x.Backend;
        StepProfiler.Work(2L * rows * inF * outF);
        var y = Tensor.Empty([rows, outF], backend); // y: (B, out)
        backend.Gemm(false, !transposed, rows, outF, inF, 1f, x.Buffer, inF, weight.Buffer, transposed ? outF : inF, 0f, y.Buffer, outF);
        if (bias is not null || activation != Activation.None)
            fused.BiasActivation(y.Buffer, bias?.Buffer, rows, outF, activation, slope);
        return y;
    }
}
