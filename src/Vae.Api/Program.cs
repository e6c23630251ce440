using Vae.Api.Cluster;
using Vae.Api.Datasets;
using Vae.Api.Families;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;
using Vae.Api.Jobs.Hangfire;
using Vae.Api.Models;
using Vae.Api.Observability;
using Vae.Api.Security;
using Vae.Api.Storage;
using Vae.Api.Sweeps;

var builder = WebApplication.CreateBuilder(args);

// Embedded default address; ASPNETCORE_URLS or --urls override it.
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5080");

// State, datasets, models, jobs: each area registers its own services and options.
builder.Services.AddEngine(builder.Configuration);
builder.Services.AddVaeStorage(builder.Configuration);
builder.Services.AddCluster(builder.Configuration);
builder.Services.AddDatasets(builder.Configuration);
builder.Services.AddModels(builder.Configuration);
builder.Services.AddJobs(builder.Configuration);
builder.Services.AddJobClusterEvents();
builder.Services.AddSweeps(builder.Configuration);

// Cross-cutting: keys and scopes, proxies, CORS and rate limits; ProblemDetails for every error; Swagger; metrics.
builder.Services.AddSecurity(builder.Configuration);
builder.Services.AddErrorHandling(builder.Configuration);
builder.Services.AddApiDocs();
builder.Services.AddObservability();

var app = builder.Build();

app.UseRequestMetrics();
app.UseErrorHandling();
app.UseSecurity();
app.UseDemoPage();
app.UseJobsDashboard();
app.UseApiDocs();

app.MapHealth();
app.MapMetricsEndpoint();

// The API: reads behind Security:RequireKeyForReads, writes marked one by one; model inference timed.
var api = app.MapGroup("").RequireReadAccess();
api.MapFamilies();
api.MapDatasets();
api.MapJobs();
api.MapGroup("").WithInferenceMetrics().MapModels();
api.MapAliases();
api.MapSweeps();

app.Run();

/// <summary>Entry point; public so integration tests can host the app.</summary>
public partial class Program;
