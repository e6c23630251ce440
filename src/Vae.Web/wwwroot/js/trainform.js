// The training form, built from what the service describes: the datasets (built-in and uploaded)
// from /api/datasets, the model families and their fields from /api/families. A new family or
// field on the service shows up here without a change to the page.

import { api } from './api.js';
import { $, $$, clearError, el, showError } from './util.js';

// Friendlier labels for fields every family shares; any other field is labelled from its name.
const LABELS = {
  kind: 'Kind',
  latentDim: 'Latent size',
  conditional: 'Conditional',
  likelihood: 'Likelihood',
  sigma: 'σ (fixed Gaussian)',
  kl: 'KL estimate',
  beta: 'β (KL weight)',
};

// Names for the values of the shared choices; other values show as the service spells them.
const VALUE_NAMES = {
  vae: 'VAE',
  ae: 'Autoencoder (AE)',
  bernoulli: 'Bernoulli',
  gaussian: 'Gaussian, fixed σ',
  gaussianLearnedScale: 'Gaussian, learned log-scale',
  closedForm: 'Closed form',
  monteCarlo: 'Monte Carlo',
  relu: 'ReLU',
  leakyRelu: 'Leaky ReLU',
  tanh: 'tanh',
};

const OTHER_LABELS = { hiddenSizes: 'Hidden sizes', activation: 'Activation' };

const NUMBER_TYPES = new Set(['integer', 'number']);

function labelFor(name) {
  return LABELS[name] ?? OTHER_LABELS[name] ?? name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, c => c.toUpperCase());
}

function fieldId(name) {
  return `field-${name.replace(/\./g, '-')}`;
}

export class TrainForm {
  constructor(form, { error }) {
    this.form = form;
    this.error = error;
    this.families = [];
    this.datasets = [];
    this.fieldsBox = $('#model-fields', form);
    this.familySelect = form.elements.namedItem('model.family');
    this.datasetSelect = form.elements.namedItem('dataset');
    this.familyHelp = $('#family-help', form);
    this.datasetHelp = $('#dataset-help', form);
    // Values the visitor typed, by field name: they survive a change of family where the field exists.
    this.edited = new Map();

    this.familySelect.addEventListener('change', () => this.renderFields());
    this.datasetSelect.addEventListener('change', () => this.datasetChanged());
    form.addEventListener('input', e => {
      const input = e.target;
      if (input instanceof HTMLElement && input.name?.startsWith('model.')) this.edited.set(input.name, valueOf(input));
      if (input instanceof HTMLElement && input.name) this.clearField(input);
    });
    for (const input of $$('[name]', form)) this.attachMessage(input);

    this.upload = {
      file: $('#upload-file', form),
      name: $('#upload-name', form),
      button: $('#upload-submit', form),
      status: $('#upload-status', form),
      error: $('#upload-error', form),
    };
    this.upload.button.addEventListener('click', () => this.uploadDataset());
  }

  /** Sends the chosen zip; the new dataset joins the list and is chosen for the next job. */
  async uploadDataset() {
    const { file, name, button, status, error } = this.upload;
    clearError(error);
    const chosen = file.files?.[0];
    if (!chosen) {
      error.textContent = 'Choose a zip file first.';
      return;
    }
    button.disabled = true;
    status.textContent = `Uploading ${chosen.name} (${Math.ceil(chosen.size / 1024).toLocaleString()} KB)…`;
    try {
      const dataset = await api.uploadDataset(chosen, { name: name.value.trim() || chosen.name.replace(/\.zip$/i, '') });
      this.setDatasets(await api.datasets());
      this.datasetSelect.value = dataset.id;
      this.datasetChanged();
      status.textContent = `Uploaded “${dataset.name}”: ${dataset.trainImages} training and ${dataset.testImages} test images, ${dataset.classNames?.length ?? 0} classes. It is chosen above.`;
      file.value = '';
    } catch (e) {
      status.textContent = '';
      showError(error, e);
    } finally {
      button.disabled = false;
    }
  }

  get family() {
    return this.families.find(f => f.name === this.familySelect.value) ?? null;
  }

  get dataset() {
    return this.datasets.find(d => d.id === this.datasetSelect.value) ?? null;
  }

  /** Reads the families and datasets; the form stays usable (with MNIST and the service's default family) if either fails. */
  async load() {
    const [families, datasets] = await Promise.allSettled([api.families(), api.datasets()]);
    if (families.status === 'fulfilled') this.setFamilies(families.value.families ?? [], families.value.default);
    else showError(this.error, `The model families could not be loaded: ${families.reason.message}`);
    if (datasets.status === 'fulfilled') this.setDatasets(datasets.value);
    else showError(this.error, `The list of datasets could not be loaded: ${datasets.reason.message}`);
    this.renderFields();
  }

  /** Fills the family choice; the service's default family is chosen until the visitor picks another. */
  setFamilies(families, preferred) {
    this.families = families;
    const chosen = this.familySelect.value;
    this.familySelect.replaceChildren(...families.map(f => el('option', { value: f.name }, f.name)));
    const pick = [chosen, preferred].find(name => families.some(f => f.name === name));
    if (pick) this.familySelect.value = pick;
  }

  /** Fills the dataset choice; uploads are listed after the built-in ones, in their own group. */
  setDatasets(datasets) {
    if (!datasets.length) return;
    this.datasets = datasets;
    const chosen = this.datasetSelect.value;
    const option = d => el('option', { value: d.id }, d.name);
    const builtIn = datasets.filter(d => d.builtIn);
    const uploaded = datasets.filter(d => !d.builtIn);
    this.datasetSelect.replaceChildren(
      ...builtIn.map(option),
      ...(uploaded.length ? [el('optgroup', { label: 'Uploaded' }, ...uploaded.map(option))] : []));
    if (datasets.some(d => d.id === chosen)) this.datasetSelect.value = chosen;
    this.datasetChanged();
  }

  datasetChanged() {
    const d = this.dataset;
    this.datasetHelp.textContent = d
      ? `${d.description} ${d.channels === 3 ? 'Colour' : 'Gray'} ${d.width}×${d.height}; ${d.trainImages.toLocaleString()} training and ${d.testImages.toLocaleString()} test images`
        + `${d.classNames?.length ? `, ${d.classNames.length} classes` : ', no labels'}`
        + `${d.builtIn && !d.fetched ? '; fetched when the first job needs it' : ''}.`
      : '';
    this.updateConditional();
  }

  /** Conditional models need labels: the box is off and disabled for a dataset without them. */
  updateConditional() {
    const box = this.form.elements.namedItem('model.conditional');
    if (!(box instanceof HTMLInputElement)) return;
    const labelled = !this.dataset || (this.dataset.classNames?.length ?? 0) > 0;
    box.disabled = !labelled;
    if (!labelled) box.checked = false;
  }

  /** One control per field of the chosen family, with its default and its help text. */
  renderFields() {
    const family = this.family;
    this.familyHelp.textContent = family?.description ?? '';
    if (!family) {
      this.fieldsBox.replaceChildren();
      return;
    }
    // The family's first try (for the MLP a 2-d code, which the page draws as a plane), else its defaults.
    const defaults = { ...family.defaults, ...(family.starter ?? {}) };
    // The fields every family shares come first, in the order a VAE is explained; the family's own after.
    const shared = Object.keys(LABELS);
    const rank = f => (shared.includes(f.name) ? shared.indexOf(f.name) : shared.length);
    const fields = family.fields.filter(f => !f.fromDataset && f.name !== 'family')
      .map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(x => x.f);
    this.fieldsBox.replaceChildren(...fields.map(f => this.control(f, defaults[f.name])));
    for (const input of $$('[name]', this.fieldsBox)) this.attachMessage(input);
    this.updateConditional();
  }

  control(field, fallback) {
    const name = `model.${field.name}`;
    const id = fieldId(name);
    const kept = this.edited.has(name) ? this.edited.get(name) : fallback;
    const help = field.description ? el('small', { className: 'help', id: `${id}-help` }, field.description) : null;
    let input;
    if (field.values) {
      input = el('select', { name, id }, ...field.values.map(v => el('option', { value: v }, VALUE_NAMES[v] ?? v)));
      input.value = String(kept ?? field.values[0]);
    } else if (field.type === 'boolean') {
      input = el('input', { type: 'checkbox', name, id, checked: Boolean(kept) });
    } else if (NUMBER_TYPES.has(field.type)) {
      input = el('input', {
        type: 'number', name, id, step: field.type === 'integer' ? '1' : 'any',
        value: kept ?? '', attrs: { inputmode: field.type === 'integer' ? 'numeric' : 'decimal' },
      });
    } else if (field.type === 'integer[]') {
      input = el('input', { type: 'text', name, id, autocomplete: 'off', value: Array.isArray(kept) ? kept.join(', ') : (kept ?? '') });
      input.placeholder = 'e.g. 512, 256';
    } else {
      input = el('input', { type: 'text', name, id, autocomplete: 'off', value: kept ?? '' });
    }
    input.dataset.type = field.type;
    if (help) input.setAttribute('aria-describedby', help.id);
    const wrapper = field.type === 'boolean'
      ? el('label', { className: 'check' }, input, ` ${labelFor(field.name)}`)
      : el('label', {}, labelFor(field.name), input);
    if (help) wrapper.append(help);
    wrapper.dataset.field = field.name;
    return wrapper;
  }

  /** Gives a control a place for its own message, tied to it for screen readers. */
  attachMessage(input) {
    if (!input.name || $(`#${CSS.escape(`field-error-${input.name}`)}`, this.form)) return;
    const message = el('span', { className: 'field-error', id: `field-error-${input.name}` });
    input.closest('label')?.append(message);
    const described = input.getAttribute('aria-describedby');
    input.setAttribute('aria-describedby', described ? `${described} ${message.id}` : message.id);
  }

  clearField(input) {
    input.removeAttribute('aria-invalid');
    const message = $(`#${CSS.escape(`field-error-${input.name}`)}`, this.form);
    if (message) message.textContent = '';
  }

  clearFields() {
    for (const input of $$('[name]', this.form)) this.clearField(input);
  }

  /**
   * The form as a training request: dotted names nest ("model.latentDim" goes into "model"), and
   * fields left empty take the service's defaults. A model field at its family's default is left out
   * too: the service fills it in, and names the dataset rather than a field the visitor never
   * touched when the two do not fit. Problems the page can see itself come back by field.
   */
  readRequest() {
    const request = {};
    const problems = {};
    const defaults = this.family?.defaults ?? {};
    for (const input of $$('[name]', this.form)) {
      if (input.disabled && input.type !== 'checkbox') continue;
      const name = input.name;
      const type = input.dataset.type ?? (input.type === 'number' ? (input.step === '1' ? 'integer' : 'number') : 'string');
      let value;
      if (input.type === 'checkbox') {
        value = input.checked;
      } else {
        if (input.type === 'number' && input.validity.badInput) {
          problems[name] = 'must be a number.';
          continue;
        }
        const raw = String(input.value).trim();
        if (raw === '') continue;
        if (type === 'integer[]') {
          const parts = raw.split(/[\s,;]+/).filter(Boolean).map(Number);
          if (parts.some(p => !Number.isInteger(p))) {
            problems[name] = 'list whole numbers separated by commas, such as 512, 256.';
            continue;
          }
          value = parts;
        } else if (NUMBER_TYPES.has(type)) {
          value = Number(raw);
          if (!Number.isFinite(value)) { problems[name] = 'must be a number.'; continue; }
          if (type === 'integer' && !Number.isInteger(value)) { problems[name] = 'must be a whole number.'; continue; }
        } else {
          value = raw;
        }
      }
      const field = name.startsWith('model.') ? name.slice('model.'.length) : null;
      if (field && field !== 'family' && field in defaults && JSON.stringify(defaults[field]) === JSON.stringify(value)) continue;
      setPath(request, name, value);
    }
    return { request, problems };
  }

  /** Marks the controls the service (or the page) found fault with; "model" alone points at the family. */
  showFieldProblems(errors) {
    let first = null;
    for (const [field, messages] of Object.entries(errors ?? {})) {
      const name = field === 'model' ? 'model.family' : field;
      const input = this.form.elements.namedItem(name);
      if (!(input instanceof HTMLElement)) continue;
      input.setAttribute('aria-invalid', 'true');
      const message = $(`#${CSS.escape(`field-error-${name}`)}`, this.form);
      if (message) message.textContent = [].concat(messages).join(' ');
      first ??= input;
    }
    if (first?.closest('details')) first.closest('details').open = true;
  }
}

function valueOf(input) {
  if (input.type === 'checkbox') return input.checked;
  return input.value;
}

function setPath(target, path, value) {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] ??= {};
  node[parts[parts.length - 1]] = value;
}
