// The model picker and the Model section: configuration and per-epoch loss curves.

import { LineChart } from './charts.js';
import { $, el, formatNumber } from './util.js';

const KIND_NAMES = { vae: 'VAE', autoencoder: 'Autoencoder', ae: 'Autoencoder' };

export function kindOf(model) {
  const kind = String(model?.config?.kind ?? '').toLowerCase();
  return kind === 'autoencoder' || kind === 'ae' ? 'ae' : 'vae';
}

export function latentSizeOf(model) {
  return model?.config?.latentDim ?? model?.latentDim ?? 0;
}

/** A short name for lists: its name or id, its kind and its latent size. */
export function modelLabel(model) {
  const name = model.name || model.id;
  const kind = KIND_NAMES[String(model.config?.kind ?? '').toLowerCase()] ?? model.config?.kind ?? '';
  return `${name} · ${kind}, ${latentSizeOf(model)}-d latent · ${model.dataset}`;
}

/** The newest MNIST model, as the service's "default" id names it; else the newest of any. */
export function defaultModel(models) {
  return models.find(m => String(m.dataset).toLowerCase() === 'mnist') ?? models[0] ?? null;
}

export class ModelPicker {
  constructor(select, { onChange }) {
    this.select = select;
    this.models = [];
    this.onChange = onChange;
    select.addEventListener('change', () => onChange(this.current()));
  }

  current() {
    return this.models.find(m => m.id === this.select.value) ?? null;
  }

  /** Fills the list; keeps the selection if it is still there, else picks `preferId` or the default. */
  setModels(models, preferId) {
    const previous = this.select.value;
    this.models = models;
    if (models.length === 0) {
      this.select.replaceChildren(el('option', { value: '' }, 'No trained model yet'));
      this.select.disabled = true;
      return null;
    }
    this.select.replaceChildren(...models.map(m => el('option', { value: m.id }, modelLabel(m))));
    this.select.disabled = false;
    const pick = models.find(m => m.id === preferId) ?? models.find(m => m.id === previous) ?? defaultModel(models);
    this.select.value = pick.id;
    return pick;
  }
}

export class ModelInfo {
  constructor(section) {
    this.config = $('#model-config', section);
    this.summary = $('#model-summary', section);
    this.chart = new LineChart($('#model-curves', section), {
      xLabel: 'epoch', yLabel: 'loss (nats)', integerX: true, title: 'Loss per epoch',
    });
    this.chart.setSeries([]);
  }

  show(model) {
    if (!model) {
      this.summary.textContent = 'No model is trained yet. Start one in “Train a model” below; it appears here when it finishes.';
      this.config.replaceChildren();
      this.chart.setSeries([]);
      return;
    }
    const c = model.config ?? {};
    const metrics = model.metrics ?? [];
    const last = metrics[metrics.length - 1];
    this.summary.textContent = `Trained ${new Date(model.createdAt).toLocaleString()}${model.jobId ? ` by job ${model.jobId}` : ''}.`;
    const rows = [
      ['Kind', KIND_NAMES[String(c.kind).toLowerCase()] ?? c.kind],
      ['Dataset', model.dataset],
      ['Layers', `${c.channels * c.height * c.width || '?'} → ${(c.hiddenSizes ?? []).join(' → ')} → ${c.latentDim}`],
      ['Latent size', c.latentSize],
      ['Activation', c.activation],
      ['Likelihood', c.likelihood === 'gaussian' ? `Gaussian, σ ${c.sigma}` : c.likelihood],
      ['β', kindOf(model) === 'vae' ? c.beta : '–'],
      ['Parameters', model.parameterCount ? Number(model.parameterCount).toLocaleString() : '–'],
      ['Epochs', metrics.length],
      ['Test loss', last ? `${formatNumber(last.test?.loss)} nats` : '–'],
    ];
    this.config.replaceChildren(...rows.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v ?? '–'))));
    this.chart.setSeries([
      { id: 'train', label: 'train', className: 'series-1', markers: true, points: metrics.map(m => [m.epoch, m.train?.loss]) },
      { id: 'test', label: 'test', className: 'series-2', markers: true, points: metrics.map(m => [m.epoch, m.test?.loss]) },
    ]);
  }
}
