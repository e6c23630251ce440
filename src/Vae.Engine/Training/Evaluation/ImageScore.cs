namespace Vae.Engine.Training.Evaluation;

/// <summary>
/// How unusual one image is to a model, in nats; higher is more unusual. <see cref="Reconstruction"/>
/// is -log p(x|z) (averaged over the draws of q(z|x) for a VAE, at the code for an autoencoder);
/// <see cref="NegativeElbo"/> adds the KL to the prior; <see cref="NegativeIwae"/> is the tighter
/// importance-weighted estimate of -log p(x). Both are null for a plain autoencoder, which defines
/// no likelihood of x.
/// </summary>
public readonly record struct ImageScore(double Reconstruction, double? NegativeElbo, double? NegativeIwae)
{
    /// <summary>The figure that ranks images: the IWAE estimate of -log p(x), or the reconstruction term for an autoencoder.</summary>
    public double Value => NegativeIwae ?? Reconstruction;
}
