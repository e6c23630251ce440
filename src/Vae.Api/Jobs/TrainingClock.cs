namespace Vae.Api.Jobs;

/// <summary>
/// Measures a training run as it goes and estimates the time left: the training speed is smoothed
/// over recent batches (the first batch, which warms caches up, is not counted), a test pass is
/// timed once one has run (estimated at a third of the training cost per image before that), and
/// the final evaluation is costed in forward passes like the default evaluation budget.
/// </summary>
public sealed class TrainingClock(int epochs, int trainImages, int testImages, int batchSize, int evaluationImages, int importanceSamples, TimeProvider time)
{
    // Weight of the newest batch in the smoothed speed: about the last 20 batches count.
    private const double Smoothing = 0.1;

    private long _batch = time.GetTimestamp();
    private double? _imagesPerSecond;
    private double? _testSeconds;
    private bool _warm;

    public int BatchCount => Math.Max(1, (trainImages + batchSize - 1) / batchSize);

    /// <summary>Images per second of training, smoothed; null until a batch after the first has been timed.</summary>
    public double? ImagesPerSecond => _imagesPerSecond;

    /// <summary>Call when a training batch of <paramref name="images"/> images is done.</summary>
    public void BatchDone(int images)
    {
        double seconds = time.GetElapsedTime(_batch).TotalSeconds;
        _batch = time.GetTimestamp();
        if (!_warm)
        {
            _warm = true;
            return;
        }
        if (seconds <= 0) return;
        double rate = images / seconds;
        _imagesPerSecond = _imagesPerSecond is { } r ? r + (Smoothing * (rate - r)) : rate;
    }

    /// <summary>Call after an epoch's test pass with its length; restarts the batch timer.</summary>
    public void TestDone(double seconds)
    {
        _testSeconds = seconds;
        _batch = time.GetTimestamp();
    }

    /// <summary>Call when training resumes after a pause (a restart): the next batch warms up again.</summary>
    public void Restart()
    {
        _warm = false;
        _batch = time.GetTimestamp();
    }

    /// <summary>Seconds to the end of the job from <paramref name="batch"/> batches into epoch <paramref name="epoch"/> (1-based).</summary>
    public double? SecondsLeft(int epoch, int batch)
    {
        if (_imagesPerSecond is not { } rate || rate <= 0) return null;
        if (epoch > epochs) return EvaluationSeconds(rate);
        double epochTrain = trainImages / rate;
        double test = _testSeconds ?? testImages / (3 * rate);
        double thisEpoch = Math.Max(0, trainImages - ((long)batch * batchSize)) / rate;
        int later = Math.Max(0, epochs - epoch);
        return thisEpoch + test + (later * (epochTrain + test)) + EvaluationSeconds(rate);
    }

    /// <summary>Seconds the final evaluation is expected to take at the training speed.</summary>
    public double EvaluationSeconds(double rate)
        => evaluationImages <= 0 ? 0 : evaluationImages * (1 + (importanceSamples / 2.0)) / (3 * rate);
}
