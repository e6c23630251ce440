using Hangfire;
using Hangfire.Dashboard;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Api.Security;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// Hangfire's dashboard at /hangfire (queues, servers, retries, history), under the API's access rule
/// and without a login: with no API key configured it is open to this machine only; with a key anyone
/// may look, and only a request carrying the key in X-Api-Key may change anything (retry, delete).
/// A refused request gets a ProblemDetails saying why, as every other endpoint's.
/// </summary>
public static class JobsDashboard
{
    public const string Path = "/hangfire";

    public static WebApplication UseJobsDashboard(this WebApplication app)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (http, next) =>
        {
            var security = http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
            if (!MayLook(http, security))
            {
                await Problems.Make(StatusCodes.Status403Forbidden, "The job dashboard is limited to this machine",
                    "No API key is configured, so the job dashboard is served only to loopback clients. Configure Security:ApiKey to let others look; changes then need the key in the X-Api-Key header.")
                    .ExecuteAsync(http);
                return;
            }
            await next(http);
        }));
        app.UseHangfireDashboard(Path, new DashboardOptions
        {
            DashboardTitle = "VAE training jobs",
            AppPath = "/",
            DisplayStorageConnectionString = false,
            Authorization = [new AccessRule()],
            IsReadOnlyFunc = context => !SecurityExtensions.MayWrite(context.GetHttpContext(), Security(context)),
        }, app.Services.GetRequiredService<JobStorage>());
        return app;
    }

    private static bool MayLook(HttpContext http, SecurityOptions security) => !string.IsNullOrEmpty(security.ApiKey) || SecurityExtensions.IsLocal(http);

    private static SecurityOptions Security(DashboardContext context)
        => context.GetHttpContext().RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;

    /// <summary>The same rule inside Hangfire, so the dashboard is never open by itself.</summary>
    private sealed class AccessRule : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => MayLook(context.GetHttpContext(), Security(context));
    }
}
