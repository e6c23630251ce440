namespace ClusterLoad;

/// <summary>The samples of one phase, from every client; keeps the first few failures in words for the report.</summary>
public sealed class SampleLog
{
    public const int KeptFailures = 10;
    private readonly List<Sample> _samples = [];
    private readonly List<string> _failures = [];
    private readonly Lock _gate = new();

    public void Add(int node, string kind, Answer answer, string nodeName, string path)
    {
        var sample = new Sample(node, kind, answer.Status, answer.Milliseconds);
        lock (_gate)
        {
            _samples.Add(sample);
            if ((sample.NoAnswer || sample.IsServerError) && _failures.Count < KeptFailures)
                _failures.Add($"{nodeName} {kind} {path}: {(sample.NoAnswer ? "no answer: " + answer.Failure : $"{answer.Status} {Excerpt(answer.Body)}")}");
        }
    }

    public IReadOnlyList<Sample> Samples { get { lock (_gate) return [.. _samples]; } }

    public IReadOnlyList<string> Failures { get { lock (_gate) return [.. _failures]; } }

    private static string Excerpt(byte[] body)
    {
        string text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).ReplaceLineEndings(" ");
        return body.Length > 300 ? text + "..." : text;
    }
}
