using Microsoft.Extensions.Time.Testing;
using Vae.Api.Jobs;

namespace Vae.Api.Tests.Jobs;

/// <summary>The speed and time-left estimates a job reports, measured on a fake clock.</summary>
public sealed class TrainingClockTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void The_first_batch_warms_up_and_is_not_counted_then_the_speed_and_the_time_left_follow_the_batches()
    {
        // 2 epochs of 1000 images in batches of 100, 200 test images, no final evaluation.
        var clock = new TrainingClock(epochs: 2, trainImages: 1000, testImages: 200, batchSize: 100, evaluationImages: 0, importanceSamples: 0, _time);
        _time.Advance(TimeSpan.FromSeconds(30));
        clock.BatchDone(100);
        Assert.Null(clock.ImagesPerSecond);
        Assert.Null(clock.SecondsLeft(1, 1));

        _time.Advance(TimeSpan.FromSeconds(0.5));
        clock.BatchDone(100);

        Assert.Equal(200, clock.ImagesPerSecond!.Value, 9);
        // This epoch: 800 images left (4 s); its test pass, untimed yet, is costed at a third of training (1/3 s);
        // the second epoch: 5 s of training and its test pass.
        Assert.Equal(4 + (1 / 3.0) + 5 + (1 / 3.0), clock.SecondsLeft(1, 2)!.Value, 9);

        _time.Advance(TimeSpan.FromSeconds(0.25));
        clock.BatchDone(100);
        Assert.Equal(200 + (0.1 * (400 - 200)), clock.ImagesPerSecond!.Value, 9); // smoothed toward the newer speed
    }

    [Fact]
    public void A_timed_test_pass_replaces_the_guess_and_the_evaluation_is_costed_at_the_end()
    {
        var clock = new TrainingClock(epochs: 1, trainImages: 1000, testImages: 200, batchSize: 100, evaluationImages: 300, importanceSamples: 16, _time);
        clock.BatchDone(100);
        _time.Advance(TimeSpan.FromSeconds(1));
        clock.BatchDone(100); // 100 images/s

        clock.TestDone(seconds: 2);

        double evaluation = 300 * (1 + (16 / 2.0)) / (3 * 100.0);
        Assert.Equal(evaluation, clock.EvaluationSeconds(100), 9);
        Assert.Equal((800 / 100.0) + 2 + evaluation, clock.SecondsLeft(1, 2)!.Value, 9);
        Assert.Equal(evaluation, clock.SecondsLeft(2, 0)!.Value, 9); // past the last epoch only the evaluation is left
    }
}
