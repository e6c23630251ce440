using Vae.Api.Storage;

namespace Vae.Api.Models;

/// <summary>What PUT /api/aliases/{alias} takes.</summary>
/// <param name="Model">The model the alias is to name: an id, an alias, name@version, or a name (its newest version now). The alias keeps that model's id until it is moved.</param>
public sealed record AliasRequest(string? Model);

/// <summary>An alias and the model it names.</summary>
/// <param name="Alias">The alias; GET /api/models/{alias} is its model.</param>
/// <param name="ModelId">The id of the model it names.</param>
/// <param name="Name">That model's name, when it exists and has one.</param>
/// <param name="Version">That model's version of its name.</param>
/// <param name="Exists">Whether the model exists: false while the job that makes it trains (the first start's "default"), or after it was deleted.</param>
/// <param name="UpdatedAt">When the alias was set or last moved.</param>
public sealed record AliasView(string Alias, string ModelId, string? Name, int? Version, bool Exists, DateTimeOffset UpdatedAt);

/// <summary>Every alias, in order of name.</summary>
public sealed record AliasList(IReadOnlyList<AliasView> Aliases);

public static class AliasViewExtensions
{
    public static AliasView AsView(this AliasRecord alias, ModelRecord? model)
        => new(alias.Alias, alias.ModelId, model?.Name, model?.Version, model is not null, alias.UpdatedAt);
}
