using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>
    /// KL(N(mu, exp(logVar)) || N(0, I)) in closed form (Kingma and Welling, appendix B):
    /// -0.5 * sum(1 + logVar - mu^2 - exp(logVar)), summed over every element.
    /// </summary>
    public static Tensor KlStandardNormal(Tensor mu, Tensor logVar, Reduction reduction = Reduction.Sum)
    {
        SameBackend(mu, logVar);
        SameShape(mu, logVar, "kl_standard_normal");
        if (mu.Backend.Kernels<ILatentKernels>() is not { } fused)
            return MulScalar(Reduce(Sub(Sub(AddScalar(logVar, 1f), Square(mu)), Exp(logVar)), reduction), -0.5f);
        mu = Dense(mu);
        logVar = Dense(logVar);
        return PairLoss(mu, logVar, reduction, "kl_standard_normal",
            r => fused.KlStandardNormal(mu.Buffer, logVar.Buffer, mu.Count, r),
            (up, scale) => fused.KlStandardNormalBackward(up, scale, mu.Buffer, logVar.Buffer,
                Tensor.GradTarget(mu),
                Tensor.GradTarget(logVar), mu.Count));
    }

    /// <summary>
    /// Single-sample Monte-Carlo estimate of KL(q || p) with q = N(mu, std^2), p = N(0, 1):
    /// log q(z) - log p(z) summed over elements, for a z drawn from q (differentiable through z).
    /// </summary>
    public static Tensor KlMonteCarlo(Tensor z, Tensor mu, Tensor std, Reduction reduction = Reduction.Sum)
        => Reduce(KlMonteCarloTerms(z, mu, std), reduction);

    /// <summary>The per-element terms of <see cref="KlMonteCarlo"/>: -0.5 ((z - mu) / std)^2 - log std + 0.5 z^2 (the 2 pi terms cancel).</summary>
    public static Tensor KlMonteCarloTerms(Tensor z, Tensor mu, Tensor std)
    {
        var logQ = Sub(MulScalar(Square(Div(Sub(z, mu), std)), -0.5f), Log(std));
        var logP = MulScalar(Square(z), -0.5f);
        return Sub(logQ, logP);
    }

    /// <summary>The reparameterization trick: z = mu + eps * exp(logVar / 2), with eps drawn from <paramref name="generator"/>.</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Generator generator)
        => Reparameterize(mu, logVar, Tensor.RandN(generator, mu.Shape, mu.Backend));

    /// <summary>z = mu + eps * exp(logVar / 2) for a given eps (no gradient flows to eps).</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Tensor eps)
    {
        SameBackend(mu, logVar);
        SameShape(mu, logVar, "reparameterize");
        SameShape(mu, eps, "reparameterize");
        var backend = mu.Backend;
        if (backend.Kernels<ILatentKernels>() is not { } fused)
            return Add(mu, Mul(eps, Exp(MulScalar(logVar, 0.5f))));
        mu = Dense(mu);
        logVar = Dense(logVar);
        eps = Dense(eps);
        var z = Tensor.Empty(mu.Shape, backend);
        fused.Reparameterize(mu.Buffer, logVar.Buffer, eps.Buffer, z.Buffer, mu.Count);
        if (Autograd.Needs(mu, logVar))
            Autograd.Record(z, "reparameterize", [mu, logVar], dz =>
                fused.ReparameterizeBackward(logVar.Buffer, eps.Buffer, dz.Buffer,
                    Tensor.GradTarget(mu),
                    Tensor.GradTarget(logVar), mu.Count));
        return z;
    }
}
