using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vae.Api.Cluster;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Tests.Cluster;

/// <summary>The listener hands each event from another node to the handlers of its type, and to nothing else.</summary>
public sealed class ClusterEventListenerTests
{
    private const string ThisNode = "here";
    private const string OtherNode = "there";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task An_event_from_another_node_reaches_the_handlers_of_its_type_and_no_other()
    {
        var cancels = new RecordingHandler(ClusterEvent.JobCancelType);
        var alsoCancels = new RecordingHandler(ClusterEvent.JobCancelType, ClusterEvent.ModelChangedType);
        var datasets = new RecordingHandler(ClusterEvent.DatasetChangedType);
        await using var run = await ListeningAsync(new Logs(), cancels, alsoCancels, datasets);

        run.Receive(Payload(ClusterEvent.JobCancelType, "j1", OtherNode));

        Assert.Equal(["j1"], cancels.Ids);
        Assert.Equal(["j1"], alsoCancels.Ids);
        Assert.Empty(datasets.Ids);
    }

    [Fact]
    public async Task An_event_this_node_sent_reaches_no_handler()
    {
        var cancels = new RecordingHandler(ClusterEvent.JobCancelType);
        await using var run = await ListeningAsync(new Logs(), cancels);

        run.Receive(Payload(ClusterEvent.JobCancelType, "j1", ThisNode));

        Assert.Empty(cancels.Ids);
    }

    [Fact]
    public async Task An_event_of_a_type_no_handler_takes_is_ignored_with_a_debug_log()
    {
        var logs = new Logs();
        var cancels = new RecordingHandler(ClusterEvent.JobCancelType);
        await using var run = await ListeningAsync(logs, cancels);

        run.Receive(Payload("somethingNew", "x1", OtherNode));

        Assert.Empty(cancels.Ids);
        var entry = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.Contains("somethingNew", entry.Message);
    }

    [Fact]
    public async Task An_unreadable_event_is_logged_as_a_warning_and_the_next_one_still_arrives()
    {
        var logs = new Logs();
        var cancels = new RecordingHandler(ClusterEvent.JobCancelType);
        await using var run = await ListeningAsync(logs, cancels);

        run.Receive("{not json");
        run.Receive(Payload(ClusterEvent.JobCancelType, "j2", OtherNode));

        Assert.Equal(LogLevel.Warning, Assert.Single(logs.Entries).Level);
        Assert.Equal(["j2"], cancels.Ids);
    }

    [Fact]
    public async Task A_handler_that_throws_is_logged_and_neither_the_other_handlers_nor_later_events_are_lost()
    {
        var logs = new Logs();
        var failing = new RecordingHandler(ClusterEvent.ModelChangedType) { Fails = true };
        var models = new RecordingHandler(ClusterEvent.ModelChangedType);
        await using var run = await ListeningAsync(logs, failing, models);

        run.Receive(Payload(ClusterEvent.ModelChangedType, "m1", OtherNode));
        run.Receive(Payload(ClusterEvent.ModelChangedType, "m2", OtherNode));

        Assert.Equal(["m1", "m2"], models.Ids);
        Assert.Equal(2, logs.Entries.Count(e => e.Level == LogLevel.Warning));
    }

    private static string Payload(string type, string id, string node) => JsonSerializer.Serialize(new ClusterEvent(type, id, node), Json);

    private static async Task<Running> ListeningAsync(Logs logs, params IClusterEventHandler[] handlers)
    {
        var channel = new TestChannel();
        var node = new NodeIdentity(Options.Create(new ClusterOptions { NodeId = ThisNode }));
        var listener = new ClusterEventListener(channel, node, handlers, logs);
        await listener.StartAsync(CancellationToken.None);
        var received = await channel.Listening.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return new Running(listener, received);
    }

    private sealed class Running(ClusterEventListener listener, Action<string> received) : IAsyncDisposable
    {
        public void Receive(string payload) => received(payload);

        public async ValueTask DisposeAsync()
        {
            await listener.StopAsync(CancellationToken.None);
            listener.Dispose();
        }
    }

    /// <summary>A channel the test speaks into: it hands the listener's callback over, then waits to be stopped.</summary>
    private sealed class TestChannel : IClusterChannel
    {
        public TaskCompletionSource<Action<string>> Listening { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task PublishAsync(string payload, CancellationToken ct) => Task.CompletedTask;

        public async Task ListenAsync(Action<string> received, CancellationToken ct)
        {
            Listening.TrySetResult(received);
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (ct.Register(() => stopped.TrySetResult())) await stopped.Task;
        }
    }

    private sealed class RecordingHandler(params string[] types) : IClusterEventHandler
    {
        private readonly ConcurrentQueue<string> _ids = new();

        public bool Fails { get; init; }

        public IReadOnlyCollection<string> Types => types;

        public string[] Ids => [.. _ids];

        public Task HandleAsync(ClusterEvent e, CancellationToken ct)
        {
            if (Fails) throw new InvalidOperationException("handler failed");
            _ids.Enqueue(e.Id);
            return Task.CompletedTask;
        }
    }

    private sealed class Logs : ILogger<ClusterEventListener>
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
