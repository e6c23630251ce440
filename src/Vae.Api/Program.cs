using Microsoft.Extensions.FileProviders;

var builder = WebApplication.CreateBuilder(args);

// Embedded default address; ASPNETCORE_URLS or --urls override it.
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5080");

builder.Services.AddProblemDetails();

var app = builder.Build();

// The demo page ships as static files of Vae.Web, copied next to this assembly.
var webRoot = Path.Combine(AppContext.BaseDirectory, "wwwroot");
if (Directory.Exists(webRoot))
{
    var files = new PhysicalFileProvider(webRoot);
    app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
    app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
}

app.MapGet("/health", () => Results.Ok(new { status = "ok" }));

app.Run();

public partial class Program;
