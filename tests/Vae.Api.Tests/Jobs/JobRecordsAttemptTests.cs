using Microsoft.Extensions.Time.Testing;
using Vae.Api.Jobs;
using Vae.Api.Storage;

namespace Vae.Api.Tests.Jobs;

/// <summary>How a job record's attempts are opened and closed, on a fake clock.</summary>
public sealed class JobRecordsAttemptTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 14, 15, 9, 26, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(T0);

    // The attempt helpers only change the record they are given: no store is read or written.
    private JobRecords Records => new(null!, new JobProgress(), _time);

    private static JobRecord Job() => new()
    {
        Id = "jattempt01", Status = JobStatus.Queued, CreatedAt = T0, Request = new TrainingRequest { Epochs = 2 },
    };

    [Fact]
    public void The_first_attempt_is_number_one_on_the_node_that_began_it_and_is_open()
    {
        _time.Advance(TimeSpan.FromSeconds(5));

        var job = Records.BeginAttempt(Job(), "node-a");

        var attempt = Assert.Single(job.Attempts);
        Assert.Equal(new JobAttempt(1, "node-a", T0.AddSeconds(5)), attempt);
    }

    [Fact]
    public void Ending_an_attempt_that_went_well_closes_it_now_with_no_error()
    {
        var job = Records.BeginAttempt(Job(), "node-a");
        _time.Advance(TimeSpan.FromMinutes(3));

        job = Records.EndAttempt(job, null);

        Assert.Equal(new JobAttempt(1, "node-a", T0, T0.AddMinutes(3), null), Assert.Single(job.Attempts));
    }

    [Fact]
    public void A_failed_attempt_keeps_its_error_and_the_retry_after_it_is_number_two()
    {
        var job = Records.BeginAttempt(Job(), "node-a");
        _time.Advance(TimeSpan.FromSeconds(10));
        job = Records.EndAttempt(job, "the database went away");
        _time.Advance(TimeSpan.FromSeconds(30));

        job = Records.BeginAttempt(job, "node-b");

        Assert.Equal(
            [new JobAttempt(1, "node-a", T0, T0.AddSeconds(10), "the database went away"), new JobAttempt(2, "node-b", T0.AddSeconds(40))],
            job.Attempts);
    }

    [Fact]
    public void Beginning_an_attempt_closes_one_a_killed_process_left_open()
    {
        var job = Records.BeginAttempt(Job(), "node-a");
        // node-a's process is killed: nothing ends its attempt, and another node picks the job up.
        _time.Advance(TimeSpan.FromMinutes(2));

        job = Records.BeginAttempt(job, "node-b");

        Assert.Equal(
            [new JobAttempt(1, "node-a", T0, T0.AddMinutes(2), "the node stopped while training it"), new JobAttempt(2, "node-b", T0.AddMinutes(2))],
            job.Attempts);
    }

    [Fact]
    public void Ending_an_attempt_when_none_is_open_leaves_the_record_as_it_was()
    {
        var never = Job();
        var ended = Records.EndAttempt(Records.BeginAttempt(Job(), "node-a"), null);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Same(never, Records.EndAttempt(never, "late error"));
        Assert.Same(ended, Records.EndAttempt(ended, "late error"));
        Assert.Null(Assert.Single(ended.Attempts).Error);
    }

    [Fact]
    public void Beginning_and_ending_attempts_leave_the_record_they_were_given_unchanged()
    {
        var queued = Job();
        var running = Records.BeginAttempt(queued, "node-a");

        Records.EndAttempt(running, "boom");
        Records.BeginAttempt(running, "node-b");

        Assert.Empty(queued.Attempts);
        Assert.Equal(new JobAttempt(1, "node-a", T0), Assert.Single(running.Attempts));
    }
}
