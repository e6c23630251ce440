using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Vae.Api.Tests.Jobs;
using Vae.Engine.Models;
using Xunit.Abstractions;

namespace Vae.Api.Tests;

/// <summary>The OpenAPI document describes the service as its clients' tools need it.</summary>
public class OpenApiDocumentTests(OpenApiDocumentTests.Document doc, ITestOutputHelper output) : IClassFixture<OpenApiDocumentTests.Document>
{
    public sealed class Document : IDisposable
    {
        public Document()
        {
            Service = new ServiceFactory();
            Client = Service.CreateClient();
            Json = Client.GetStringAsync("/swagger/v1/swagger.json").GetAwaiter().GetResult();
            Root = JsonDocument.Parse(Json).RootElement;
        }

        public ServiceFactory Service { get; }
        public HttpClient Client { get; }
        public string Json { get; }
        public JsonElement Root { get; }

        public IEnumerable<(string Path, string Method, JsonElement Operation)> Operations
            => Root.GetProperty("paths").EnumerateObject()
                .SelectMany(p => p.Value.EnumerateObject().Select(m => (p.Name, m.Name, m.Value)));

        public void Dispose()
        {
            Client.Dispose();
            Service.Dispose();
        }
    }

    private readonly Document _doc = doc;

    [Fact]
    public void Every_operation_has_a_unique_operation_id()
    {
        var ids = _doc.Operations.Select(o => o.Operation.TryGetProperty("operationId", out var id) ? id.GetString() : null).ToList();
        Assert.DoesNotContain(null, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Contains("createJob", ids);
        Assert.Contains("getModelSamplesPng", ids);
    }

    [Fact]
    public async Task Every_operation_that_takes_json_answers_another_content_type_with_a_problem_that_says_to_send_application_json()
    {
        var takesJson = _doc.Operations.Where(o => o.Operation.TryGetProperty("requestBody", out var body)
            && body.GetProperty("content").TryGetProperty("application/json", out _)).ToList();
        Assert.Contains(takesJson, o => o.Path == "/api/jobs" && o.Method == "post");
        Assert.Contains(takesJson, o => o.Path == "/api/sweeps" && o.Method == "post");
        Assert.Contains(takesJson, o => o.Path.EndsWith("/interpolate", StringComparison.Ordinal));

        foreach (var (path, method, _) in takesJson)
        {
            // The content type is checked before anything else, so any id will do.
            string url = System.Text.RegularExpressions.Regex.Replace(path, "\\{[^}]+\\}", "default");
            // What curl -d sends unless told otherwise, and a body with no type at all.
            foreach (var content in new HttpContent[] { new StringContent("epochs=1", Encoding.UTF8, "application/x-www-form-urlencoded"), new ByteArrayContent("{\"epochs\":1}"u8.ToArray()) })
            {
                using var response = await _doc.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url) { Content = content });
                string body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{method} {url}: {(int)response.StatusCode} {body}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                string detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
                Assert.Contains("Send the body with Content-Type: application/json", detail);
            }
        }
    }

    [Fact]
    public async Task A_415_that_routing_answers_before_any_handler_says_which_header_to_send_too()
    {
        // Stands in for an endpoint whose declared body makes routing refuse other types: a bare 415, after the app's own middleware.
        using var service = new ServiceFactory(services: s => s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new Bare415()));
        using var response = await service.CreateClient().PostAsync("/bare-415", new StringContent("a=1", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        string detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains("does not take application/x-www-form-urlencoded", detail);
        Assert.Contains("Send the body with Content-Type: application/json if it is JSON", detail);
    }

    private sealed class Bare415 : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Run(http =>
            {
                if (http.Request.Path == "/bare-415") http.Response.StatusCode = 415;
                return Task.CompletedTask;
            });
        };
    }

    [Fact]
    public void Writes_name_the_api_key_scheme_and_reads_need_none()
    {
        var scheme = _doc.Root.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        foreach (var (path, method, operation) in _doc.Operations)
        {
            var security = operation.GetProperty("security");
            bool write = method is "post" or "put" or "delete" && !IsComputation(path);
            Assert.True(write == (security.GetArrayLength() == 1), $"{method.ToUpperInvariant()} {path}: security {security}");
        }
    }

    [Fact]
    public void Every_rate_limited_operation_declares_429_with_retry_after()
    {
        foreach (var (path, method, operation) in _doc.Operations.Where(o => o.Path.StartsWith("/api/", StringComparison.Ordinal)))
        {
            Assert.True(operation.GetProperty("responses").TryGetProperty("429", out var limited), $"{method} {path} has no 429");
            Assert.True(limited.GetProperty("headers").TryGetProperty("Retry-After", out _), $"{method} {path}: 429 without Retry-After");
        }
    }

    [Fact]
    public void Every_operation_declares_the_503_of_a_database_out_of_reach_with_retry_after()
    {
        foreach (var (path, method, operation) in _doc.Operations)
        {
            Assert.True(operation.GetProperty("responses").TryGetProperty("503", out var unavailable), $"{method} {path} has no 503");
            Assert.True(unavailable.GetProperty("headers").TryGetProperty("Retry-After", out _), $"{method} {path}: 503 without Retry-After");
        }
    }

    [Fact]
    public void The_model_configuration_is_one_schema_per_family_behind_the_family_discriminator()
    {
        var schemas = _doc.Root.GetProperty("components").GetProperty("schemas");
        var config = schemas.GetProperty("ModelConfig");
        Assert.Equal("family", config.GetProperty("discriminator").GetProperty("propertyName").GetString());
        var mapping = config.GetProperty("discriminator").GetProperty("mapping").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(ModelRegistry.Names, mapping);
        foreach (var family in ModelRegistry.Families)
        {
            var schema = schemas.GetProperty(family.ConfigType.Name);
            Assert.Equal(family.Name, schema.GetProperty("properties").GetProperty("family").GetProperty("enum")[0].GetString());
            // Complete in itself: the shared fields and the family's own, nothing else accepted.
            var fields = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();
            Assert.Superset(ModelRegistry.Fields(family).Select(f => f.Name).ToHashSet(), fields);
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        }
        Assert.Equal("#/components/schemas/ModelConfig",
            schemas.GetProperty("TrainingRequest").GetProperty("properties").GetProperty("model").GetProperty("$ref").GetString());
    }

    [Fact]
    public void A_training_request_documents_the_device_it_may_ask_for_and_jobs_and_models_the_device_that_trained_them()
    {
        var schemas = _doc.Root.GetProperty("components").GetProperty("schemas");
        string? asked = schemas.GetProperty("TrainingRequest").GetProperty("properties").GetProperty("device").GetProperty("description").GetString();
        Assert.Contains("gpu", asked);
        Assert.Contains("cpu", asked);
        Assert.True(schemas.GetProperty("JobView").GetProperty("properties").TryGetProperty("device", out _));
        Assert.True(schemas.GetProperty("JobView").GetProperty("properties").TryGetProperty("waiting", out _));
        Assert.True(schemas.GetProperty("ModelView").GetProperty("properties").TryGetProperty("device", out _));
        var examples = _doc.Root.GetProperty("paths").GetProperty("/api/jobs").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("examples");
        Assert.Contains(examples.EnumerateObject(), e => e.Value.GetProperty("value").TryGetProperty("device", out var d) && d.GetString() == "gpu");
    }

    [Fact]
    public void A_job_documents_its_attempts_each_with_its_node_times_and_error()
    {
        var schemas = _doc.Root.GetProperty("components").GetProperty("schemas");
        var attempts = schemas.GetProperty("JobView").GetProperty("properties").GetProperty("attempts");

        Assert.Equal("array", attempts.GetProperty("type").GetString());
        Assert.Equal("#/components/schemas/JobAttemptView", attempts.GetProperty("items").GetProperty("$ref").GetString());
        Assert.Equal(["number", "node", "startedAt", "endedAt", "error"],
            schemas.GetProperty("JobAttemptView").GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Contains("node stopped", schemas.GetProperty("JobAttemptView").GetProperty("properties").GetProperty("error").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Every_training_example_in_the_document_is_accepted_by_the_service()
    {
        var examples = _doc.Root.GetProperty("paths").GetProperty("/api/jobs").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("examples");
        var families = examples.EnumerateObject().Select(e => e.Value.GetProperty("value").GetProperty("model").GetProperty("family").GetString()!).ToHashSet();
        Assert.Equal(ModelRegistry.Names.ToHashSet(), families);
        foreach (var example in examples.EnumerateObject())
        {
            string body = example.Value.GetProperty("value").GetRawText();
            var response = await _doc.Client.PostJsonAsync(body);
            string answer = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Example {example.Name} was refused: {answer}");
            await _doc.Client.CancelQuietlyAsync(JsonDocument.Parse(answer).RootElement.GetProperty("id").GetString()!);
        }
    }

    [SkippableFact]
    public async Task Redocly_finds_no_errors_and_generated_typescript_types_compile()
    {
        string file = Path.Combine(_doc.Service.StateDirectory, "openapi.json");
        await File.WriteAllTextAsync(file, _doc.Json);
        string script = Path.Combine(Vae.Engine.Tests.DatasetFolders.RepositoryRoot(), "scripts", "openapi-check.sh");
        using var process = Process.Start(new ProcessStartInfo(script, [file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        string text = (await stdout) + (await stderr);
        output.WriteLine(text);
        Skip.If(process.ExitCode == 3, $"The OpenAPI tools are not available here: {text.Trim()}");
        Assert.True(process.ExitCode == 0, text);
        Assert.Contains("generated types compile", text);
    }

    /// <summary>
    /// POSTs that compute from a model (encode, decode, score, edit…) rather than change anything.
    /// A model's stored directions are the exception: creating and deleting them changes what the model keeps.
    /// </summary>
    private static bool IsComputation(string path)
        => path.StartsWith("/api/models/{id}/", StringComparison.Ordinal) && !path.StartsWith("/api/models/{id}/directions", StringComparison.Ordinal);
}
