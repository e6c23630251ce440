using Microsoft.Extensions.Options;

namespace Vae.Api.Infrastructure;

/// <summary>One query parameter out of range: its name and a message that names the allowed values.</summary>
public sealed record QueryProblem(string Parameter, string Message);

/// <summary>
/// A record of query parameters (bound with [AsParameters]) that checks its own values against
/// limits configured in <typeparamref name="TLimits"/>. Values that cannot be parsed at all never
/// get here: binding answers those with 400.
/// </summary>
public interface IValidatedQuery<TLimits> where TLimits : class
{
    /// <summary>The first value out of range, or null when all are acceptable.</summary>
    QueryProblem? Validate(TLimits limits);
}

public static class QueryValidation
{
    /// <summary>
    /// Checks every <see cref="IValidatedQuery{TLimits}"/> argument of the group's endpoints before
    /// the handler runs, and answers the first problem with a 422 naming the parameter.
    /// </summary>
    public static RouteGroupBuilder ValidateQueries<TLimits>(this RouteGroupBuilder group) where TLimits : class
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            // Binding failed (a value that does not parse): the arguments hold defaults, not what was sent.
            if (context.HttpContext.Response.StatusCode == StatusCodes.Status400BadRequest) return await next(context);
            TLimits? limits = null;
            foreach (var argument in context.Arguments)
            {
                if (argument is not IValidatedQuery<TLimits> query) continue;
                limits ??= context.HttpContext.RequestServices.GetRequiredService<IOptions<TLimits>>().Value;
                if (query.Validate(limits) is { } problem) return Problems.Invalid(problem.Parameter, problem.Message);
            }
            return await next(context);
        });
        return group;
    }

    /// <summary>
    /// Refuses a query parameter the endpoint does not take with a 400 that names it, rather than
    /// ignoring it (a misspelt filter would otherwise answer an unfiltered list). The parameters
    /// taken are the properties of <typeparamref name="TQuery"/>, the record the handler binds with [AsParameters].
    /// </summary>
    public static RouteHandlerBuilder RejectsUnknownQuery<TQuery>(this RouteHandlerBuilder builder)
    {
        string[] known = [.. typeof(TQuery).GetProperties().Select(p => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(p.Name))];
        builder.AddEndpointFilter(async (context, next) =>
        {
            foreach (string key in context.HttpContext.Request.Query.Keys)
            {
                if (known.Contains(key, StringComparer.OrdinalIgnoreCase)) continue;
                string detail = known.Length == 0
                    ? $"'{key}' is not a query parameter of this endpoint, which takes none."
                    : $"'{key}' is not a query parameter of this endpoint; it takes {string.Join(", ", known)}.";
                var problem = Problems.BadRequest(detail);
                problem.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [key] = [detail] };
                return problem;
            }
            return await next(context);
        });
        return builder;
    }
}
