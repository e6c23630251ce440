using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Vae.Api.Infrastructure;

/// <summary>
/// Documents the body of an endpoint that reads it itself (see <see cref="JsonBody"/>). Accepts()
/// would also make routing refuse other content types with a bare 415 before the handler runs; the
/// handlers answer those with a detail that names the types they take and the header to send.
/// </summary>
public static class RequestBodyDocs
{
    /// <summary>The endpoint reads a body of <typeparamref name="T"/>, sent as one of <paramref name="contentTypes"/>.</summary>
    public static RouteHandlerBuilder AcceptsBody<T>(this RouteHandlerBuilder builder, params string[] contentTypes)
        => builder.WithMetadata(new RequestBodyDoc(typeof(T), contentTypes, Optional: false));

    /// <summary>As <see cref="AcceptsBody{T}(RouteHandlerBuilder, string[])"/>, for a body that may be left out (it then means all defaults).</summary>
    public static RouteHandlerBuilder AcceptsOptionalBody<T>(this RouteHandlerBuilder builder, params string[] contentTypes)
        => builder.WithMetadata(new RequestBodyDoc(typeof(T), contentTypes, Optional: true));

    public sealed record RequestBodyDoc(Type Type, IReadOnlyList<string> ContentTypes, bool Optional);

    /// <summary>Whether an endpoint's declared body is a <typeparamref name="T"/>.</summary>
    public static bool TakesBody<T>(this Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription api)
        => api.ActionDescriptor.EndpointMetadata.OfType<RequestBodyDoc>().Any(d => d.Type == typeof(T));

    /// <summary>Adds the bodies declared by <see cref="AcceptsBody"/> to the API description that OpenAPI is built from.</summary>
    internal sealed class Provider : IApiDescriptionProvider
    {
        private static readonly EmptyModelMetadataProvider Metadata = new();

        public int Order => 0;

        public void OnProvidersExecuting(ApiDescriptionProviderContext context) { }

        public void OnProvidersExecuted(ApiDescriptionProviderContext context)
        {
            foreach (var api in context.Results)
            {
                var doc = api.ActionDescriptor.EndpointMetadata.OfType<RequestBodyDoc>().FirstOrDefault();
                if (doc is null || api.ParameterDescriptions.Any(p => p.Source == BindingSource.Body)) continue;
                api.ParameterDescriptions.Add(new ApiParameterDescription
                {
                    Name = "body", Type = doc.Type, Source = BindingSource.Body, IsRequired = !doc.Optional, ModelMetadata = Metadata.GetMetadataForType(doc.Type),
                });
                foreach (var contentType in doc.ContentTypes) api.SupportedRequestFormats.Add(new ApiRequestFormat { MediaType = contentType });
            }
        }
    }
}
