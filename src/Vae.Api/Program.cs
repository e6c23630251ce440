using Vae.Api.Cluster;
using Vae.Api.Datasets;
using Vae.Api.Families;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;
using Vae.Api.Jobs.Hangfire;
using Vae.Api.Models;
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

// Cross-cutting: API keys and rate limits, ProblemDetails for every error, Swagger.
builder.Services.AddSecurity(builder.Configuration);
builder.Services.AddErrorHandling(builder.Configuration);
builder.Services.AddApiDocs();

var app = builder.Build();

app.UseErrorHandling();
app.UseRateLimiter();
app.UseDemoPage();
app.UseJobsDashboard();
app.UseApiDocs();

app.MapHealth();
app.MapFamilies();
app.MapDatasets();
app.MapJobs();
app.MapModels();
app.MapAliases();
app.MapSweeps();

app.Run();

/// <summary>Entry point; public so integration tests can host the app.</summary>
public partial class Program;
