using Vae.Engine.Tensors;

namespace Vae.Engine.Ops;

public static partial class F
{
    /// <summary>
    /// KL(N(mu, exp(logVar)) || N(0, I)) in closed form (Kingma and Welling, appendix B):
    /// -0.5 * sum(1 + logVar - mu^2 - exp(logVar)), summed over every element.
    /// </summary>
    public static Tensor KlStandardNormal(Tensor mu, Tensor logVar, Reduction reduction = Reduction.Sum)
        => PairLoss(mu, logVar, reduction, "kl_standard_normal",
            (b, r) => b.KlStandardNormal(mu.Buffer, logVar.Buffer, mu.Count, r),
            (b, up, scale) => b.KlStandardNormalBackward(up, scale, mu.Buffer, logVar.Buffer,
                mu.RequiresGrad ? mu.GradForAccumulation().Buffer : null,
                logVar.RequiresGrad ? logVar.GradForAccumulation().Buffer : null, mu.Count));

    /// <summary>
    /// Single-sample Monte-Carlo estimate of KL(q || p) with q = N(mu, std^2), p = N(0, 1):
    /// log q(z) - log p(z) summed over elements, for a z drawn from q (differentiable through z).
    /// </summary>
    public static Tensor KlMonteCarlo(Tensor z, Tensor mu, Tensor std, Reduction reduction = Reduction.Sum)
    {
        // log q(z) - log p(z) = -0.5 ((z - mu) / std)^2 - log std + 0.5 z^2; the 2 pi terms cancel.
        var logQ = Sub(MulScalar(Square(Div(Sub(z, mu), std)), -0.5f), Log(std));
        var logP = MulScalar(Square(z), -0.5f);
        var terms = Sub(logQ, logP);
        return reduction == Reduction.Sum ? Sum(terms) : Mean(terms);
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
        var z = Tensor.Empty(mu.Shape, backend);
        backend.Reparameterize(mu.Buffer, logVar.Buffer, eps.Buffer, z.Buffer, mu.Count);
        if (Autograd.Needs(mu, logVar))
            Autograd.Record(z, "reparameterize", [mu, logVar], dz =>
                backend.ReparameterizeBackward(logVar.Buffer, eps.Buffer, dz.Buffer,
                    mu.RequiresGrad ? mu.GradForAccumulation().Buffer : null,
                    logVar.RequiresGrad ? logVar.GradForAccumulation().Buffer : null, mu.Count));
        return z;
    }
}
