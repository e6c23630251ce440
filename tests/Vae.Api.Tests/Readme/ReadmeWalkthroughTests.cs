using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Tests.Datasets;
using Vae.Api.Tests.Jobs;
using Vae.Api.Tests.Models;
using Vae.Engine.Imaging;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Readme;

/// <summary>
/// The README's walk-through as a new user follows it: every curl command of its sh blocks, read
/// from README.md when the test runs (so the file cannot drift from what works), sent in order to a
/// service on its first start. Each must answer 2xx with the content type it promises; a file it
/// writes with -o is kept for the commands after it, and a PNG must decode. JOB_ID, SWEEP_ID and
/// DATASET_ID stand for the id the latest job, sweep or dataset created had. The training is small
/// because the service reads few images of each dataset (Datasets:TrainLimit), not because of any
/// timing: a command on a model waits until the jobs queued before it have ended.
/// </summary>
public sealed partial class ReadmeWalkthroughTests(ITestOutputHelper output)
{
    private const string Service = "localhost:5080";

    [SkippableFact]
    public async Task Every_curl_command_of_the_readme_succeeds_in_order_on_a_first_start()
    {
        Seed003.SkipIfMissing(); // the import example sends it
        var commands = ReadmeCurlCommands().ToList();
        Assert.True(commands.Count >= 20, $"only {commands.Count} curl commands were found in README.md; is it the walk-through?");

        string work = Directory.CreateTempSubdirectory("vae-readme-").FullName;
        using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?>
        {
            // A first start: the default job is queued and "default" names its model, as for a new user.
            ["Jobs:SeedDefaultJob"] = "true",
            ["Jobs:DefaultJobEpochs"] = "1",
            ["Datasets:TrainLimit"] = "32",
            ["Datasets:TestLimit"] = "16",
        });
        using var client = factory.CreateClient();
        // A bound on a broken run, not a timing: an event stream lasts as long as its job.
        client.Timeout = TimeSpan.FromMinutes(10);
        PrepareFiles(work);
        var ids = new Dictionary<string, string>();
        try
        {
            foreach (var curl in commands)
            {
                output.WriteLine($"$ {curl.Text}");
                string path = Placeholder().Replace(PathOf(curl), m => ids.TryGetValue(m.Value, out var id) ? id
                    : throw new InvalidOperationException($"{m.Value} is used before any command made one: {curl.Text}"));
                // Models come from the jobs queued above: a command on one waits until they have ended, as a reader would.
                if (path.StartsWith("/api/models", StringComparison.Ordinal)) await JobsEndedAsync(client);

                using var request = Request(curl, path, work);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                byte[] body = await response.Content.ReadAsByteArrayAsync();
                string? type = response.Content.Headers.ContentType?.MediaType;
                Assert.True(response.IsSuccessStatusCode,
                    $"{curl.Text}\nanswered {(int)response.StatusCode} {type}: {Encoding.UTF8.GetString(body)}");
                CheckBody(curl, type, body, work);
                Remember(curl, path, type, body, ids);
            }
        }
        finally
        {
            factory.Gate.ReleaseAll();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The curl commands of every sh block of README.md, in order.</summary>
    private static IEnumerable<CurlCommand> ReadmeCurlCommands()
    {
        string readme = File.ReadAllText(Path.Combine(Vae.Engine.Tests.DatasetFolders.RepositoryRoot(), "README.md"));
        foreach (Match block in ShellBlock().Matches(readme))
        {
            foreach (var (words, text) in ShellWords.Commands(block.Groups["body"].Value))
                if (words[0] == "curl") yield return CurlCommand.Parse(words, text);
        }
    }

    /// <summary>The files the README's other commands make (its zip of class folders) or that a reader has (MNIST's IDX files).</summary>
    private static void PrepareFiles(string work)
    {
        // The import example's file: seed 003's VAE as PyTorch saved it (the import tests' fixture).
        File.WriteAllBytes(Path.Combine(work, "seed003_vae.safetensors"), Seed003.Weights);
        File.WriteAllBytes(Path.Combine(work, "pets.zip"), UploadFiles.Zip(UploadFiles.ClassFolders(["cat", "dog", "fox"], perClass: 6)));
        var (images, labels) = UploadFiles.IdxPair(count: 40, size: 28, classes: 4);
        File.WriteAllBytes(Path.Combine(work, "train-images-idx3-ubyte.gz"), UploadFiles.Gzip(images));
        File.WriteAllBytes(Path.Combine(work, "train-labels-idx1-ubyte.gz"), UploadFiles.Gzip(labels));
    }

    private static string PathOf(CurlCommand curl)
    {
        string url = curl.Url.StartsWith("http://", StringComparison.Ordinal) ? curl.Url["http://".Length..] : curl.Url;
        Assert.True(url.StartsWith(Service + "/", StringComparison.Ordinal), $"The README's examples talk to {Service}, as ./run.sh serves it: {curl.Text}");
        return url[Service.Length..];
    }

    private static HttpRequestMessage Request(CurlCommand curl, string path, string work)
    {
        var request = new HttpRequestMessage(new HttpMethod(curl.EffectiveMethod), path);
        HttpContent? content = null;
        if (curl.Data is not null) content = new ByteArrayContent(Encoding.UTF8.GetBytes(curl.Data));
        if (curl.DataFile is not null) content = new ByteArrayContent(File.ReadAllBytes(InWork(work, curl.DataFile, curl)));
        if (content is not null)
        {
            // What curl sends with -d unless the command says otherwise.
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded");
        }
        if (curl.Form.Count > 0)
        {
            var form = new MultipartFormDataContent();
            foreach (var (name, value, isFile) in curl.Form)
            {
                if (!isFile)
                {
                    form.Add(new StringContent(value), name);
                    continue;
                }
                var file = new ByteArrayContent(File.ReadAllBytes(InWork(work, value, curl)));
                file.Headers.ContentType = MediaTypeHeaderValue.Parse("application/octet-stream");
                form.Add(file, name, value);
            }
            content = form;
        }
        foreach (var (name, value) in curl.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                Assert.True(content is not null, $"A Content-Type without a body: {curl.Text}");
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else request.Headers.TryAddWithoutValidation(name, value);
        }
        request.Content = content;
        return request;
    }

    private static string InWork(string work, string file, CurlCommand curl)
    {
        string path = Path.Combine(work, file);
        Assert.True(File.Exists(path), $"{file} is neither a file the test prepares nor one an earlier command wrote with -o: {curl.Text}");
        return path;
    }

    /// <summary>The content type each kind of command promises, and its body: a PNG that decodes, an event stream that ends with the job's status, JSON.</summary>
    private static void CheckBody(CurlCommand curl, string? type, byte[] body, string work)
    {
        if (curl.Output is { } file)
        {
            File.WriteAllBytes(Path.Combine(work, file), body);
            if (file.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            {
                Assert.True(type == "image/png", $"{curl.Text}\nwrote {type}, not a PNG, to {file}");
                var image = Vae.Engine.Tests.Imaging.TestImages.Read(body);
                Assert.True(image.Width > 0 && image.Height > 0, $"{file} is an empty image");
            }
            return;
        }
        if (curl.Streams)
        {
            Assert.Equal("text/event-stream", type);
            string events = Encoding.UTF8.GetString(body);
            Assert.Contains("event: status", events);
            Assert.Contains("\"status\":\"succeeded\"", events);
            return;
        }
        Assert.True(type == "application/json", $"{curl.Text}\nanswered {type}");
        JsonDocument.Parse(body).Dispose();
    }

    /// <summary>The id a command created, under the placeholder later commands use for it.</summary>
    private static void Remember(CurlCommand curl, string path, string? type, byte[] body, Dictionary<string, string> ids)
    {
        if (curl.EffectiveMethod != "POST" || type != "application/json") return;
        string? placeholder = path.Split('?')[0] switch
        {
            "/api/jobs" => "JOB_ID",
            "/api/sweeps" => "SWEEP_ID",
            "/api/datasets" => "DATASET_ID",
            _ => null,
        };
        if (placeholder is not null) ids[placeholder] = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Waits until every job queued so far has ended; none may have failed (the README's requests must train).</summary>
    private static async Task JobsEndedAsync(HttpClient client)
    {
        var jobs = (await (await client.GetAsync("/api/jobs?limit=500")).ReadJsonAsync<JobList>()).Jobs;
        foreach (var job in jobs)
        {
            var ended = job.Status is JobStatus.Queued or JobStatus.Running ? await client.WaitUntilFinishedAsync(job.Id, timeoutSeconds: 600) : job;
            Assert.True(ended.Status != JobStatus.Failed, $"Job {ended.Id} ({ended.Name}) failed: {ended.Error}");
        }
    }

    [GeneratedRegex("^```sh\\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex("\\b[A-Z]+_ID\\b")]
    private static partial Regex Placeholder();
}
