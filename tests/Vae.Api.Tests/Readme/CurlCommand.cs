namespace Vae.Api.Tests.Readme;

/// <summary>
/// A curl command of the README, read from its words. Only the options the README uses are known;
/// any other is refused, so an example cannot depend on an option the test would silently skip.
/// </summary>
internal sealed record CurlCommand(
    string Text,
    string? Method,
    string Url,
    IReadOnlyList<(string Name, string Value)> Headers,
    string? Data,
    string? DataFile,
    IReadOnlyList<(string Name, string Value, bool IsFile)> Form,
    string? Output,
    bool Streams)
{
    /// <summary>What curl sends: -X, else POST with a body, else GET.</summary>
    public string EffectiveMethod => Method ?? (Data is not null || DataFile is not null || Form.Count > 0 ? "POST" : "GET");

    public static CurlCommand Parse(IReadOnlyList<string> words, string text)
    {
        if (words.Count == 0 || words[0] != "curl") throw new FormatException($"Not a curl command: {text}");
        string? method = null, url = null, data = null, dataFile = null, output = null;
        bool streams = false;
        var headers = new List<(string, string)>();
        var form = new List<(string, string, bool)>();
        for (int i = 1; i < words.Count; i++)
        {
            string word = words[i];
            string Next() => ++i < words.Count ? words[i] : throw new FormatException($"{word} needs a value: {text}");
            switch (word)
            {
                case "-X" or "--request":
                    method = Next();
                    break;
                case "-H" or "--header":
                    string header = Next();
                    int colon = header.IndexOf(':');
                    if (colon <= 0) throw new FormatException($"Header '{header}' has no name: {text}");
                    headers.Add((header[..colon].Trim(), header[(colon + 1)..].Trim()));
                    break;
                case "-d" or "--data" or "--data-binary":
                    string body = Next();
                    if (body.StartsWith('@')) dataFile = body[1..];
                    else data = body;
                    break;
                case "-F" or "--form":
                    string part = Next();
                    int equals = part.IndexOf('=');
                    if (equals <= 0) throw new FormatException($"Form part '{part}' has no name: {text}");
                    string value = part[(equals + 1)..];
                    form.Add((part[..equals], value.TrimStart('@'), value.StartsWith('@')));
                    break;
                case "-o" or "--output":
                    output = Next();
                    break;
                case "-N" or "--no-buffer":
                    streams = true;
                    break;
                case "-s" or "--silent":
                    break;
                default:
                    if (word.StartsWith('-')) throw new FormatException($"The walk-through test does not know curl's {word}: {text}");
                    if (url is not null) throw new FormatException($"Two URLs ({url}, {word}): {text}");
                    url = word;
                    break;
            }
        }
        return new CurlCommand(text, method, url ?? throw new FormatException($"No URL: {text}"), headers, data, dataFile, form, output, streams);
    }
}
