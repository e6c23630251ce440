using Microsoft.Extensions.FileProviders;

namespace Vae.Api.Infrastructure;

/// <summary>Serves the demo page (the static files of Vae.Web, copied next to this assembly) at /.</summary>
public static class DemoPage
{
    public static WebApplication UseDemoPage(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(root))
        {
            app.Logger.LogWarning("The demo page's files are missing from {Root}; only the API is served.", root);
            return app;
        }
        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        return app;
    }
}
