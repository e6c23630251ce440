// Compare models: every trained model in one table (family, dataset, epochs, test loss, IWAE,
// bits per dimension, training time) with a strip of its samples, so families and settings can be
// weighed side by side. A sweep's models are listed together under a caption naming its grid, and
// plotted against the swept values below the table.

import { api } from './api.js';
import { aliasesOf, describeModel, latentSizeOf, modelName } from './model.js';
import { describeGrid, describeValues, SweepPlots, sweepsByModel } from './sweeps.js';
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
    this.sweeps = [];
    this.plots = new SweepPlots($('#sweep-plots', section));
    this.loads = 0;
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
    this.loadSweeps();
  }

  /** Reads the sweeps, then shows the table again grouped by them; only the latest read is shown. */
  async loadSweeps() {
    const load = ++this.loads;
    try {
      const sweeps = await api.sweeps();
      if (load !== this.loads) return;
      this.sweeps = sweeps;
      this.render();
    } catch (error) {
      if (load === this.loads) showError(this.error, error);
    }
  }

  render() {
    const chosen = this.dataset.value;
    const models = this.models.filter(m => !chosen || m.dataset === chosen);
    if (models.length === 0) {
      this.body.replaceChildren(el('tr', {}, el('td', { colSpan: 10, className: 'empty' }, 'No trained models yet.')));
      this.plots.show([]);
      return;
    }
    // Models newest first; a sweep's models all at the place of its newest, in the sweep's order.
    const bySweep = sweepsByModel(this.sweeps);
    const byId = new Map(models.map(m => [m.id, m]));
    const rows = [];
    const shown = [];
    for (const model of models) {
      const sweep = bySweep.get(model.id);
      if (!sweep) {
        rows.push(this.row(model));
        continue;
      }
      if (shown.includes(sweep)) continue;
      shown.push(sweep);
      const members = sweep.points.map(p => byId.get(p.modelId)).filter(Boolean);
      rows.push(this.caption(sweep, members.length), ...members.map(m => this.row(m, sweep)));
    }
    this.body.replaceChildren(...rows);
    this.plots.show(shown);
    clearError(this.error);
  }

  /** The row heading a sweep's models: its name, its grid, how far it got. */
  caption(sweep, count) {
    const total = sweep.points.length;
    const status = sweep.status === 'partiallySucceeded' ? 'partly succeeded' : sweep.status;
    return el('tr', { className: 'sweep-caption', dataset: { sweepId: sweep.id } },
      el('th', { colSpan: 10, scope: 'rowgroup' },
        el('span', { className: 'sweep-name' }, `Sweep: ${sweep.name || sweep.id}`),
        el('span', { className: 'sub' }, `${describeGrid(sweep.grid)} · ${count} of ${total} models · ${status} · same seed for every point`)));
  }

  /** A model's row; in a sweep, named by its point's values (the caption above names the sweep). */
  row(model, sweep) {
    const e = model.evaluation;
    const point = sweep?.points.find(p => p.modelId === model.id);
    const name = modelName(model);
    const title = point ? describeValues(point.values) : name;
    const aliases = aliasesOf(model);
    const img = el('img', { className: 'pixelated thumbs', alt: `${THUMBNAILS} samples of ${name}` });
    this.thumbnail(model).then(blob => showBlob(img, blob)).catch(error => showError(this.error, error));
    return el('tr', { className: sweep ? 'in-sweep' : undefined, dataset: sweep ? { modelId: model.id, sweepId: sweep.id } : { modelId: model.id } },
      el('td', { dataset: { label: 'Model' } },
        el('span', {}, title,
          aliases.length ? el('span', { className: 'sub aliases' }, `alias ${aliases.join(', ')}`) : null,
          el('span', { className: 'sub' }, `${point ? `${name} · ` : ''}${model.id} · ${latentSizeOf(model)}-d latent`))),
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
          attrs: { 'aria-label': `Use model ${name}` },
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
