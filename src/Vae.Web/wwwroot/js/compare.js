// Compare models: every trained model in one table (family, dataset, epochs, test loss, IWAE,
// bits per dimension, training time) with a strip of its samples, so families and settings can be
// weighed side by side.

import { api } from './api.js';
import { describeModel, latentSizeOf } from './model.js';
import { $, clearError, el, formatDuration, formatNumber, showBlob, showError } from './util.js';

const THUMBNAILS = 8;

/** The test loss a model is ranked by: the evaluation's −ELBO, else the last epoch's test loss. */
export function testLossOf(model) {
  if (model.evaluation?.elbo != null) return -model.evaluation.elbo;
  const epochs = model.epochs ?? [];
  return epochs.length ? epochs[epochs.length - 1].test?.loss : undefined;
}

export class CompareSection {
  /** @param {{ onUseModel?: (id: string) => void }} options */
  constructor(section, { onUseModel = () => {} } = {}) {
    this.body = $('#compare-body', section);
    this.error = $('#compare-error', section);
    this.dataset = $('#compare-dataset', section);
    this.onUseModel = onUseModel;
    this.models = [];
    // Sample strips by model id: a model's weights never change, so neither do its samples.
    this.thumbnails = new Map();
    this.dataset.addEventListener('change', () => this.render());
  }

  setModels(models) {
    this.models = models;
    for (const id of [...this.thumbnails.keys()]) if (!models.some(m => m.id === id)) this.thumbnails.delete(id);
    const datasets = [...new Set(models.map(m => m.dataset))];
    const keep = this.dataset.value;
    this.dataset.replaceChildren(el('option', { value: '' }, 'All datasets'), ...datasets.map(d => el('option', { value: d }, d)));
    this.dataset.value = datasets.includes(keep) ? keep : '';
    this.render();
  }

  render() {
    const chosen = this.dataset.value;
    const models = this.models.filter(m => !chosen || m.dataset === chosen);
    if (models.length === 0) {
      this.body.replaceChildren(el('tr', {}, el('td', { colSpan: 10, className: 'empty' }, 'No trained models yet.')));
      return;
    }
    this.body.replaceChildren(...models.map(m => this.row(m)));
    clearError(this.error);
  }

  row(model) {
    const e = model.evaluation;
    const img = el('img', { className: 'pixelated thumbs', alt: `${THUMBNAILS} samples of ${model.name || model.id}` });
    this.thumbnail(model).then(blob => showBlob(img, blob)).catch(error => showError(this.error, error));
    return el('tr', { dataset: { modelId: model.id } },
      el('td', { dataset: { label: 'Model' } },
        el('span', {}, model.name || model.id, el('span', { className: 'sub' }, `${model.id} · ${latentSizeOf(model)}-d latent`))),
      el('td', { dataset: { label: 'Family' } }, describeModel(model)),
      el('td', { dataset: { label: 'Dataset' } }, model.dataset),
      el('td', { className: 'num', dataset: { label: 'Epochs' } }, String((model.epochs ?? []).length)),
      el('td', { className: 'num', dataset: { label: 'Test loss', metric: 'test' } }, formatNumber(testLossOf(model))),
      el('td', { className: 'num', dataset: { label: 'IWAE', metric: 'iwae' } }, e?.iwae != null ? formatNumber(-e.iwae) : '–'),
      el('td', { className: 'num', dataset: { label: 'Bits / dim', metric: 'bits' } }, e?.bitsPerDim != null ? formatNumber(e.bitsPerDim, 3) : '–'),
      el('td', { className: 'num', dataset: { label: 'Training time' } }, formatDuration(model.trainingSeconds)),
      el('td', { className: 'thumb-cell', dataset: { label: 'Samples' } }, img),
      el('td', { className: 'actions', dataset: { label: 'Actions' } },
        el('button', {
          type: 'button', className: 'small', onclick: () => this.onUseModel(model.id),
          attrs: { 'aria-label': `Use model ${model.name || model.id}` },
        }, 'Use')));
  }

  /** One row of samples, the same seed for every model; conditional models draw classes 0, 1, 2… */
  thumbnail(model) {
    let promise = this.thumbnails.get(model.id);
    if (!promise) {
      promise = model.conditional
        ? api.decodePng(model.id, Array.from({ length: THUMBNAILS }, () => new Array(latentSizeOf(model)).fill(0)),
          { columns: THUMBNAILS, labels: Array.from({ length: THUMBNAILS }, (_, k) => k % Math.max(1, model.classNames?.length ?? 1)) })
        : api.samples(model.id, { n: THUMBNAILS, seed: 1, columns: THUMBNAILS }).then(r => r.blob);
      this.thumbnails.set(model.id, promise);
      promise.catch(() => this.thumbnails.delete(model.id));
    }
    return promise;
  }
}
