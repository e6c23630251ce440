// The model picker, the class picker of conditional models, and the Model section: configuration,
// evaluation and per-epoch loss curves.

import { api } from './api.js';
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

/** A model's id as lists show it: the service's ids are short already; a longer one is cut. */
export function shortId(id) {
  const text = String(id ?? '');
  return text.length > 16 ? `${text.slice(0, 12)}…` : text;
}

/**
 * The one name the page gives a model, in every section: name@version for a model registered under a
 * name, else its name, else the name of the job that trained it, else its short id. `job` stands in
 * for a model that is not (or no longer) in the list.
 */
export function modelName(model, job) {
  if (model?.name) return model.version != null ? `${model.name}@${model.version}` : model.name;
  if (job?.name) return job.name;
  return shortId(model?.id ?? job?.modelId ?? job?.id);
}

/** The aliases that point at a model (strings, or records with a name); none when the service has no aliases. */
export function aliasesOf(model) {
  const aliases = Array.isArray(model?.aliases) ? model.aliases : [];
  return aliases.map(a => (typeof a === 'string' ? a : a?.name)).filter(a => typeof a === 'string' && a.length > 0);
}

/** The model's name with its aliases: "digits@2 (default, best)". */
export function modelNameWithAliases(model) {
  const aliases = aliasesOf(model);
  return aliases.length ? `${modelName(model)} (${aliases.join(', ')})` : modelName(model);
}

/** The reference a link uses for a model: name@version when it has both (it stays put), else its id. */
export function modelRef(model) {
  return model?.name && model.version != null ? `${model.name}@${model.version}` : model?.id ?? '';
}

/** A short line for pickers, readable on a phone: its name, aliases and dataset. */
export function modelLabel(model) {
  return `${modelNameWithAliases(model)} · ${model.dataset}`;
}

/** What a model is, for a line under its name: "mlp VAE, 2-d latent · mnist · m59abc51bb4e1". */
export function modelDetails(model) {
  return `${describeModel(model)}, ${latentSizeOf(model)}-d latent · ${model.dataset} · ${model.id}`;
}

/**
 * The model a link names, among those listed: an id, name@version, an alias, or a name (its newest
 * version). null when none matches; the service may still know it (see main.js).
 */
export function findModel(models, ref) {
  if (!ref) return null;
  const byId = models.find(m => m.id === ref);
  if (byId) return byId;
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const [name, version] = [ref.slice(0, at), ref.slice(at + 1)];
    const exact = models.find(m => m.name === name && String(m.version) === version);
    if (exact) return exact;
  }
  const aliased = models.find(m => aliasesOf(m).includes(ref));
  if (aliased) return aliased;
  // The list is newest first; with versions, the highest one wins.
  const named = models.filter(m => m.name === ref);
  return named.reduce((best, m) => (best && !(Number(m.version) > Number(best.version)) ? best : m), null);
}

/** The model the service's "default" alias points at; where no model says so, the newest MNIST model (as "default" meant before aliases), else the newest of any. */
export function defaultModel(models) {
  return models.find(m => aliasesOf(m).includes('default'))
    ?? models.find(m => String(m.dataset).toLowerCase() === 'mnist') ?? models[0] ?? null;
}

export class ModelPicker {
  constructor(select, { onChange, details }) {
    this.select = select;
    this.details = details;
    this.models = [];
    this.onChange = onChange;
    select.addEventListener('change', () => {
      this.describe();
      onChange(this.current());
    });
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
      this.describe();
      return null;
    }
    this.select.replaceChildren(...models.map(m => el('option', { value: m.id, title: modelDetails(m) }, modelLabel(m))));
    this.select.disabled = false;
    const pick = models.find(m => m.id === preferId) ?? models.find(m => m.id === previous) ?? defaultModel(models);
    this.select.value = pick.id;
    this.describe();
    return pick;
  }

  /** The chosen model's family, latent size, dataset and id, under the picker (the option shows only its name). */
  describe() {
    const model = this.current();
    if (this.details) this.details.textContent = model ? modelDetails(model) : '';
  }
}

// Class names by dataset id, asked for once per dataset.
const datasetClassNames = new Map();

/** The names of a model's classes: its own list, else its dataset's, else the label numbers. */
async function classNamesOf(model) {
  if (model.classNames?.length) return model.classNames;
  let names = datasetClassNames.get(model.dataset);
  if (!names) {
    names = api.dataset(model.dataset).then(d => d.classNames ?? []).catch(() => []);
    datasetClassNames.set(model.dataset, names);
  }
  const known = await names;
  const count = model.config?.classCount ?? 0;
  return known.length ? known : Array.from({ length: count }, (_, k) => String(k));
}

/** The class picker of a conditional model, listing its classes by name ("7", "Sneaker"); hidden for other models. */
export class LabelPicker {
  constructor(box, select, { onChange }) {
    this.box = box;
    this.select = select;
    this.model = null;
    select.addEventListener('change', () => onChange(this.value));
  }

  /** The chosen class, or undefined when the model takes none. */
  get value() {
    return this.box.hidden ? undefined : Number(this.select.value);
  }

  setModel(model) {
    this.model = model;
    const keep = this.select.value;
    const conditional = Boolean(model?.conditional);
    this.box.hidden = !conditional;
    if (!conditional) {
      this.select.replaceChildren();
      return;
    }
    // Numbers first, so the label is right at once; names follow when they have to be asked for.
    const count = model.classNames?.length || model.config?.classCount || 0;
    this.fill(model.classNames?.length ? model.classNames : Array.from({ length: count }, (_, k) => String(k)), keep);
    if (!model.classNames?.length) {
      classNamesOf(model).then(names => {
        if (this.model === model) this.fill(names, this.select.value);
      });
    }
  }

  fill(names, keep) {
    this.select.replaceChildren(...names.map((name, k) => el('option', { value: String(k) }, name)));
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
    this.summary.textContent = `Model ${model.id}, trained ${new Date(model.createdAt).toLocaleString()}${model.jobId ? ` by job ${model.jobId}` : ''}.`;
    const likelihood = { bernoulli: 'Bernoulli', gaussian: `Gaussian, σ ${c.sigma}`, gaussianLearnedScale: 'Gaussian, learned log-scale' }[c.likelihood] ?? c.likelihood;
    const extra = Object.entries(c).filter(([k]) => !SHOWN_APART.has(k))
      .map(([k, v]) => [k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, x => x.toUpperCase()), Array.isArray(v) ? v.join(', ') : String(v)]);
    const aliases = aliasesOf(model);
    const rows = [
      ['Name', modelName(model)],
      ...(aliases.length ? [['Aliases', aliases.join(', ')]] : []),
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
