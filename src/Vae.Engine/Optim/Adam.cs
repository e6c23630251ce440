using Vae.Engine.Backends;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Optim;

/// <summary>
/// Adam (Kingma and Ba) with PyTorch's semantics and defaults: lr 1e-3, betas (0.9, 0.999),
/// eps 1e-8 added after the bias-corrected square root, weight decay as L2 added to the gradient.
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly Tensor[] _m, _v;

    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
        : base(parameters)
    {
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), "Learning rate must be non-negative.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), "beta2 must be in [0, 1).");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), "eps must be non-negative.");
        LearningRate = lr; Beta1 = beta1; Beta2 = beta2; Epsilon = eps; WeightDecay = weightDecay;
        _m = Parameters.Select(StateLike).ToArray();
        _v = Parameters.Select(StateLike).ToArray();
    }

    public float LearningRate { get; set; }
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    public override void Step()
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount);
        double bc2 = 1 - Math.Pow(Beta2, StepCount);
        var args = new AdamStepArgs((float)(LearningRate / bc1), Beta1, Beta2, Epsilon, WeightDecay, (float)Math.Sqrt(bc2));
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad is null) continue; // took no part in the loss, as PyTorch skips it
            if (p.Backend.Kernels<IOptimizerKernels>() is { } fused) fused.AdamStep(p.Buffer, p.Grad.Buffer, _m[i].Buffer, _v[i].Buffer, p.Count, args);
            else ComposedStep(p, p.Grad, _m[i], _v[i], args);
        }
    }

    /// <summary>The same update from primitive ops: the fallback for backends without the fused kernel, and its oracle.</summary>
    private static void ComposedStep(Tensor p, Tensor grad, Tensor m, Tensor v, AdamStepArgs a)
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        var g = a.WeightDecay != 0 ? F.Add(grad, F.MulScalar(p, a.WeightDecay)) : grad;
        m.CopyFrom(F.Add(F.MulScalar(m, a.Beta1), F.MulScalar(g, 1 - a.Beta1)));
        v.CopyFrom(F.Add(F.MulScalar(v, a.Beta2), F.MulScalar(F.Square(g), 1 - a.Beta2)));
        var denominator = F.AddScalar(F.MulScalar(F.Sqrt(v), 1f / a.BiasCorrection2Sqrt), a.Epsilon);
        p.CopyFrom(F.Sub(p, F.MulScalar(F.Div(m, denominator), a.StepSize)));
    }

    public override IEnumerable<(string Name, Tensor Tensor)> StateTensors()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            yield return ($"adam.{i}.exp_avg", _m[i]);
            yield return ($"adam.{i}.exp_avg_sq", _v[i]);
        }
    }
}
