// A client's view of the service through types generated from its OpenAPI document: if the
// document stops describing these shapes, this no longer compiles.
import type { components, operations } from './api';

type TrainingRequest = components['schemas']['TrainingRequest'];
type ModelConfig = components['schemas']['ModelConfig'];

// The model is one object whose "family" picks its fields.
const conv: ModelConfig = { family: 'conv', kind: 'vae', conditional: true, latentDim: 16 };
const mlp: ModelConfig = { family: 'mlp', hiddenSizes: [512], latentDim: 2 };
const resnet: ModelConfig = { family: 'resnet' };
const request: TrainingRequest = { dataset: 'fashion-mnist', model: conv, epochs: 10, maxTrainImages: 1000 };

function describe(config: ModelConfig): string {
  switch (config.family) {
    case 'mlp': return `mlp with hidden layers ${(config.hiddenSizes ?? []).join(', ')}`;
    case 'conv': return `conv, latent ${config.latentDim ?? 'default'}`;
    case 'resnet': return `resnet with widths ${(config.widths ?? []).join(', ')}`;
  }
}

type Job = operations['createJob']['responses'][202]['content']['application/json'];
const progress = (job: Job): number => job.progress?.fraction ?? 0;
type Model = operations['getModel']['responses'][200]['content']['application/json'];
const iwae = (model: Model): number | null | undefined => model.evaluation?.iwae;
type Datasets = operations['listDatasets']['responses'][200]['content']['application/json'];
const ids = (list: Datasets): string[] => (list.datasets ?? []).map(d => d.id ?? '');

export { request, mlp, resnet, describe, progress, iwae, ids };
