using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Vae.Api.Storage;

namespace Vae.Api.Sweeps;

/// <summary>
/// What POST /api/sweeps takes. The endpoint reads the body itself, field by field, so that each
/// problem is named; this record describes it for the OpenAPI document.
/// </summary>
/// <param name="Name">A name for the sweep, as a model name is written; each job, and so its model, is named after it and its values ("beta-sweep.beta-4.latentDim-2").</param>
/// <param name="Base">The training request every point starts from, exactly as POST /api/jobs takes it; {} when left out.</param>
/// <param name="Grid">Fields of the training request as dotted paths ("epochs", "model.beta") mapped to the values to try; one job per combination.</param>
public sealed record SweepRequest(string? Name, TrainingRequest? Base, [property: Required] IReadOnlyDictionary<string, IReadOnlyList<JsonNode?>> Grid);
