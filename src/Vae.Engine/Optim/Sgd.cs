using Vae.Engine.Backends;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Optim;

/// <summary>Stochastic gradient descent with optional momentum, dampening and Nesterov, as torch.optim.SGD.</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor[]? _momentum;

    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameters)
    {
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), "Learning rate must be non-negative.");
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), "Momentum must be non-negative.");
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum needs a positive momentum and zero dampening.");
        LearningRate = lr; Momentum = momentum; Dampening = dampening; WeightDecay = weightDecay; Nesterov = nesterov;
        if (momentum != 0) _momentum = Parameters.Select(StateLike).ToArray();
    }

    public float LearningRate { get; set; }
    public float Momentum { get; }
    public float Dampening { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    public override void Step()
    {
        var args = new SgdStepArgs(LearningRate, Momentum, Dampening, WeightDecay, Nesterov, FirstStep: StepCount == 0);
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad is null) continue;
            if (p.Backend.Kernels<IOptimizerKernels>() is { } fused) fused.SgdStep(p.Buffer, p.Grad.Buffer, _momentum?[i].Buffer, p.Count, args);
            else ComposedStep(p, p.Grad, _momentum?[i], args);
        }
    }

    /// <summary>The same update from primitive ops: the fallback for backends without the fused kernel, and its oracle.</summary>
    private static void ComposedStep(Tensor p, Tensor grad, Tensor? buffer, SgdStepArgs a)
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        var d = a.WeightDecay != 0 ? F.Add(grad, F.MulScalar(p, a.WeightDecay)) : grad;
        if (buffer is not null)
        {
            buffer.CopyFrom(a.FirstStep ? d : F.Add(F.MulScalar(buffer, a.Momentum), F.MulScalar(d, 1 - a.Dampening)));
            d = a.Nesterov ? F.Add(d, F.MulScalar(buffer, a.Momentum)) : buffer;
        }
        p.CopyFrom(F.Sub(p, F.MulScalar(d, a.LearningRate)));
    }

    public override IEnumerable<(string Name, Tensor Tensor)> StateTensors()
    {
        if (_momentum is null) yield break;
        for (int i = 0; i < _momentum.Length; i++) yield return ($"sgd.{i}.momentum_buffer", _momentum[i]);
    }
}
