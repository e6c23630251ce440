namespace Vae.Engine.Training;

/// <summary>Mean per image, in nats: Loss = Reconstruction + beta * Kl.</summary>
public readonly record struct LossSummary(double Loss, double Reconstruction, double Kl);

/// <summary>One finished epoch: train and test losses per image, and the training seconds.</summary>
public sealed record EpochMetrics(int Epoch, LossSummary Train, LossSummary Test, double Seconds);

/// <summary>Reported after every batch: the batch's losses per image and where training stands.</summary>
public readonly record struct BatchProgress(int Epoch, int Epochs, int Batch, int BatchCount, long Step, LossSummary Losses);

/// <summary>Running sums of a pass over a dataset, in double so 60,000 images lose nothing.</summary>
internal struct LossAccumulator
{
    private double _loss, _reconstruction, _kl;
    private long _images;

    public void Add(double loss, double reconstruction, double kl, int images)
    {
        _loss += loss; _reconstruction += reconstruction; _kl += kl; _images += images;
    }

    public readonly LossSummary Mean => _images == 0 ? default : new(_loss / _images, _reconstruction / _images, _kl / _images);
}
