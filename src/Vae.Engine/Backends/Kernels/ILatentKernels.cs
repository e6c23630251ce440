namespace Vae.Engine.Backends;

/// <summary>
/// The latent layer of a VAE: the KL divergence to the standard normal prior and the reparameterised sample, with their gradients.
/// Optional, like every kernel interface in this folder: an op asks its backend with
/// <see cref="IBackend.Kernels{T}"/> and composes the same math from primitives when the answer is
/// null; the composed form is the test oracle.
/// </summary>
public interface ILatentKernels
{
    /// <summary>result = -0.5 * sum of 1 + logvar - mu^2 - exp(logvar): KL(N(mu, var) || N(0, 1)).</summary>
    void KlStandardNormal(BufferRef mu, BufferRef logVar, int count, BufferRef result);
    void KlStandardNormalBackward(BufferRef upstream, float scale, BufferRef mu, BufferRef logVar, BufferRef? dMu, BufferRef? dLogVar, int count);
    /// <summary>z = mu + eps * exp(logvar / 2).</summary>
    void Reparameterize(BufferRef mu, BufferRef logVar, BufferRef eps, BufferRef z, int count);
    void ReparameterizeBackward(BufferRef logVar, BufferRef eps, BufferRef dz, BufferRef? dMu, BufferRef? dLogVar, int count);
}
