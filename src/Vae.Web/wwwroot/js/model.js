// The model picker, the class picker of conditional models, and the Model section: configuration,
// evaluation and per-epoch loss curves.

import { LineChart } from './charts.js';
import { $, el, formatDuration, formatNumber } from './util.js';

const KIND_NAMES = { vae: 'VAE', ae: 'Autoencoder' };

export function kindOf(model) {
  return String(model?.kind ?? model?.config?.kind ?? '').toLowerCase() === 'ae' ? 'ae' : 'vae';
}

export function latentSizeOf(model) {
  return model?.latentDim ?? model?.config?.latentDim ?? 0;
}

/** "conv VAE, conditional" and the like. */
export function describeModel(model) {
  return `${model.family ?? model.config?.family ?? ''} ${KIND_NAMES[kindOf(model)]}${model.conditional ? ', conditional' : ''}`.trim();
}

/** A short name for lists: its name or id, its family and kind, its latent size and its dataset. */
export function modelLabel(model) {
  const name = model.name || model.id;
  return `${name} · ${describeModel(model)}, ${latentSizeOf(model)}-d latent · ${model.dataset}`;
}

/** The model the service's alias "default" names; else the newest MNIST model; else the newest of any. */
export function defaultModel(models) {
  return models.find(m => (m.aliases ?? []).includes('default'))
    ?? models.find(m => String(m.dataset).toLowerCase() === 'mnist') ?? models[0] ?? null;
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

/** The class picker of a conditional model; hidden for other models. */
export class LabelPicker {
  constructor(box, select, { onChange }) {
    this.box = box;
    this.select = select;
    select.addEventListener('change', () => onChange(this.value));
  }

  /** The chosen class, or undefined when the model takes none. */
  get value() {
    return this.box.hidden ? undefined : Number(this.select.value);
  }

  setModel(model) {
    const names = model?.conditional ? (model.classNames ?? []) : [];
    const keep = this.select.value;
    this.box.hidden = names.length === 0;
    this.select.replaceChildren(...names.map((name, k) => el('option', { value: String(k) }, `${k}: ${name}`)));
    if (keep !== '' && Number(keep) < names.length) this.select.value = keep;
  }
}

// Configuration fields shown in their own rows, or not at all (the image shape is shown once).
const SHOWN_APART = new Set(['family', 'kind', 'conditional', 'latentDim', 'likelihood', 'sigma', 'kl', 'beta', 'channels', 'height', 'width', 'classCount']);

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
    const epochs = model.epochs ?? [];
    const last = epochs[epochs.length - 1];
    const e = model.evaluation;
    const vae = kindOf(model) === 'vae';
    this.summary.textContent = `Trained ${new Date(model.createdAt).toLocaleString()}${model.jobId ? ` by job ${model.jobId}` : ''}.`;
    const likelihood = { bernoulli: 'Bernoulli', gaussian: `Gaussian, σ ${c.sigma}`, gaussianLearnedScale: 'Gaussian, learned log-scale' }[c.likelihood] ?? c.likelihood;
    const extra = Object.entries(c).filter(([k]) => !SHOWN_APART.has(k))
      .map(([k, v]) => [k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, x => x.toUpperCase()), Array.isArray(v) ? v.join(', ') : String(v)]);
    const rows = [
      ['Family', model.family],
      ['Kind', KIND_NAMES[kindOf(model)]],
      ['Conditional', model.conditional ? `yes: ${(model.classNames ?? []).length} classes` : 'no'],
      ['Dataset', model.dataset],
      ['Images', `${model.channels === 3 ? 'colour' : 'gray'} ${model.width}×${model.height}`],
      ['Latent size', latentSizeOf(model)],
      ['Likelihood', likelihood],
      ['KL', vae ? `${c.kl === 'monteCarlo' ? 'Monte Carlo' : 'closed form'}, β ${c.beta}` : '–'],
      ...extra,
      ['Parameters', model.parameterCount ? Number(model.parameterCount).toLocaleString() : '–'],
      ['Epochs', epochs.length],
      ['Training time', formatDuration(model.trainingSeconds)],
      ['Test loss', last ? `${formatNumber(last.test?.loss)} nats` : '–'],
      ['−ELBO (evaluation)', e?.elbo != null ? `${formatNumber(-e.elbo)} nats on ${e.images} test images` : '–'],
      ['IWAE −log p(x)', e?.iwae != null ? `${formatNumber(-e.iwae)} nats (k = ${e.importanceSamples})` : '–'],
      ['Active units', e ? `${e.activeUnits} of ${latentSizeOf(model)}` : '–'],
      ['Bits / dim', e?.bitsPerDim != null ? formatNumber(e.bitsPerDim, 3) : '–'],
    ];
    this.config.replaceChildren(...rows.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v ?? '–'))));
    this.chart.setSeries([
      { id: 'train', label: 'train', className: 'series-1', markers: true, points: epochs.map(m => [m.epoch, m.train?.loss]) },
      { id: 'test', label: 'test', className: 'series-2', markers: true, points: epochs.map(m => [m.epoch, m.test?.loss]) },
    ]);
  }
}
