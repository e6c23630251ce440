using Hangfire;
using Hangfire.Dashboard;
using Vae.Api.Security;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// Hangfire's dashboard at /hangfire (queues, servers, retries, history, errors), under the API's
/// access rules. With no API key configured it is open to this machine only. With keys, looking needs
/// a key with the read scope and changing anything (retry, delete) the admin scope; a browser is asked
/// for the key (HTTP Basic: any user name, the key as the password). A refused request gets a
/// ProblemDetails saying why, as every other endpoint's.
/// </summary>
public static class JobsDashboard
{
    public const string Path = "/hangfire";

    private const string Challenge = "Basic realm=\"VAE job dashboard\", charset=\"UTF-8\"";

    public static WebApplication UseJobsDashboard(this WebApplication app)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (http, next) =>
        {
            if (Rules(http).Check(http, AccessRequirement.Dashboard, Challenge) is { } refusal)
            {
                await AccessRules.RefuseAsync(http, refusal);
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
            IsReadOnlyFunc = context => Rules(context.GetHttpContext()).Check(context.GetHttpContext(), AccessRequirement.DashboardChanges) is not null,
        }, app.Services.GetRequiredService<JobStorage>());
        return app;
    }

    private static AccessRules Rules(HttpContext http) => http.RequestServices.GetRequiredService<AccessRules>();

    /// <summary>The same rule inside Hangfire, so the dashboard is never open by itself.</summary>
    private sealed class AccessRule : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => Rules(context.GetHttpContext()).Check(context.GetHttpContext(), AccessRequirement.Dashboard) is null;
    }
}
