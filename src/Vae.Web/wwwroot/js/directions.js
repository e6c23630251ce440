// Latent arithmetic: the direction from one class to another (the mean code of the "to" class minus
// that of the "from" class, stored with the model), and an image moved along it with a slider.

import { api } from './api.js';
import { SketchPad } from './draw.js';
import { $, clearError, debounce, el, latestOnly, showBlob, showError } from './util.js';

const STRIP_AMOUNTS = [-2, -1, 0, 1, 2];

/** A direction name from class names: "1-to-7", "t-shirt-top-to-trouser". */
export function directionName(fromName, toName) {
  const slug = text => String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'class';
  return `${slug(fromName)}-to-${slug(toName)}`.slice(0, 64);
}

export class DirectionsSection {
  /** @param {HTMLElement} section @param {{ drawPad: SketchPad }} options */
  constructor(section, { drawPad }) {
    this.model = null;
    this.label = undefined;
    this.drawPad = drawPad;
    this.directions = [];
    this.start = null; // { latent } or null for the pad's image
    this.latents = null; // the model's test codes, for "a test image of the class"
    this.error = $('#dir-error', section);
    this.hint = $('#dir-hint', section);
    this.status = $('#dir-status', section);
    this.from = $('#dir-from', section);
    this.to = $('#dir-to', section);
    this.computeButton = $('#dir-compute', section);
    this.select = $('#dir-select', section);
    this.deleteButton = $('#dir-delete', section);
    this.amount = $('#dir-amount', section);
    this.amountValue = $('#dir-amount-value', section);
    this.image = $('#dir-img', section);
    this.imagePlaceholder = $('#dir-placeholder', section);
    this.strip = $('#dir-strip', section);
    this.stripCaption = $('#dir-strip-caption', section);
    this.startCaption = $('#dir-start-caption', section);
    this.nextImage = latestOnly();
    this.nextStrip = latestOnly();

    const schedule = debounce(() => this.run(), 200);
    this.pad = new SketchPad($('#dir-canvas', section), {
      lineWidth: 10,
      onEnd: () => { this.start = null; this.startCaption.textContent = 'Your drawing.'; schedule(); },
    });
    this.computeButton.addEventListener('click', () => this.compute());
    this.deleteButton.addEventListener('click', () => this.remove());
    this.select.addEventListener('change', () => this.run());
    this.amount.addEventListener('input', () => {
      this.amountValue.textContent = Number(this.amount.value).toFixed(2);
      this.showAmount();
    });
    $('#dir-sample', section).addEventListener('click', () => this.sampleStart().then(() => this.run()));
    $('#dir-copy', section).addEventListener('click', () => {
      if (this.drawPad.isEmpty) {
        this.error.textContent = 'Draw or load an image in “Draw or load an image” first, then copy it here.';
        return;
      }
      this.pad.copyFrom(this.drawPad);
      this.start = null;
      this.startCaption.textContent = 'Your drawing, copied from “Draw or load an image”.';
      this.run();
    });
    for (const select of [this.from, this.to]) select.addEventListener('change', () => this.suggest());
  }

  get classNames() {
    return this.model?.classNames ?? [];
  }

  get current() {
    return this.directions.find(d => d.name === this.select.value) ?? null;
  }

  async setModel(model, label) {
    this.model = model;
    this.label = label;
    this.latents = null;
    this.directions = []; // the previous model's until this one's arrive: none
    this.start = null;
    this.pad.clear(false);
    this.startCaption.textContent = '';
    const names = this.classNames;
    // Digits name themselves; other classes show their number too.
    const options = names.map((name, k) => el('option', { value: String(k) }, name === String(k) ? name : `${k}: ${name}`));
    this.from.replaceChildren(...options);
    this.to.replaceChildren(...options.map(o => o.cloneNode(true)));
    const usable = !!model && names.length >= 2;
    for (const control of [this.from, this.to, this.computeButton]) control.disabled = !usable;
    if (usable) {
      // Digits: from 1 to 7 (a stroke gains a bar); other datasets: from their first class to their second.
      const digits = String(model.dataset).toLowerCase() === 'mnist';
      this.from.value = digits ? '1' : '0';
      this.to.value = digits ? '7' : '1';
    }
    this.hint.textContent = !model ? 'No model yet.'
      : names.length < 2 ? 'This model’s dataset has no classes to take a direction between; it needs a labelled dataset.'
        : `The mean code of the test images of one class, subtracted from the mean code of another, is a direction in ${model.latentDim}-d latent space. `
          + 'Store it, then move any image along it.';
    this.suggest();
    await this.loadDirections();
    if (model !== this.model) return;
    if (usable) await this.sampleStart();
    this.run();
  }

  setLabel(label) {
    this.label = label;
    this.run();
  }

  suggest() {
    const names = this.classNames;
    const from = names[Number(this.from.value)], to = names[Number(this.to.value)];
    this.status.textContent = from !== undefined && to !== undefined ? `Direction “${directionName(from, to)}”: from ${from} to ${to}.` : '';
  }

  async loadDirections(prefer) {
    const model = this.model;
    let directions = [];
    if (model) {
      try {
        directions = await api.directions(model.id);
      } catch (error) {
        if (model === this.model) showError(this.error, error);
      }
    }
    if (model !== this.model) return;
    this.directions = directions;
    const keep = prefer ?? this.select.value;
    this.select.replaceChildren(...(this.directions.length
      ? this.directions.map(d => el('option', { value: d.name }, `${d.name} (length ${d.norm.toFixed(2)})`))
      : [el('option', { value: '' }, 'None stored yet')]));
    this.select.disabled = this.directions.length === 0;
    this.deleteButton.disabled = this.directions.length === 0;
    if (this.directions.some(d => d.name === keep)) this.select.value = keep;
  }

  /** A test image of the "from" class as the start: its code, decoded onto the pad. */
  async sampleStart() {
    const model = this.model;
    if (!model) return;
    try {
      if (!this.latents) {
        // Kept only for the model they were asked for: a reply that comes after another model was chosen is dropped.
        const latents = await api.latents(model.id, { limit: 500 });
        if (model !== this.model) return;
        this.latents = latents;
      }
      const wanted = Number(this.from.value);
      const points = this.latents.points.filter(p => p.label === wanted);
      const pool = points.length ? points : this.latents.points;
      if (!pool.length) return;
      const latent = pool[Math.floor(Math.random() * pool.length)].mu;
      const decoded = await api.decodePixels(model.id, [latent], { label: this.label });
      if (model !== this.model) return;
      this.pad.drawPixels(decoded.images[0], decoded.width, decoded.height, decoded.channels ?? model.channels);
      this.start = { latent };
      const name = this.classNames[wanted];
      this.startCaption.textContent = points.length ? `A test image of ${name}, as the model decodes its code.` : 'A test image, as the model decodes its code.';
      clearError(this.error);
    } catch (error) {
      if (model === this.model) showError(this.error, error);
    }
  }

  async compute() {
    const model = this.model;
    if (!model) return;
    const names = this.classNames;
    const from = Number(this.from.value), to = Number(this.to.value);
    if (from === to) {
      this.error.textContent = 'Choose two different classes: the direction from a class to itself is zero.';
      return;
    }
    const name = directionName(names[from], names[to]);
    this.computeButton.disabled = true;
    this.status.textContent = `Computing “${name}” from the test images…`;
    try {
      await api.createDirection(model.id, { name, from: { label: from }, to: { label: to } });
      this.status.textContent = `Stored “${name}”.`;
      clearError(this.error);
    } catch (error) {
      // Already stored: use it as it is.
      if (error.status === 409) this.status.textContent = `“${name}” was stored already.`;
      else showError(this.error, error);
    } finally {
      this.computeButton.disabled = false;
    }
    if (model !== this.model) return;
    await this.loadDirections(name);
    this.run();
  }

  async remove() {
    const model = this.model, direction = this.current;
    if (!model || !direction) return;
    try {
      await api.deleteDirection(model.id, direction.name);
      this.status.textContent = `Deleted “${direction.name}”.`;
      clearError(this.error);
    } catch (error) {
      showError(this.error, error);
    }
    await this.loadDirections();
    this.run();
  }

  /** The start as edit takes it: a code, or the pad's image. */
  startPoint() {
    if (this.start?.latent) return { latent: this.start.latent };
    return this.pad.isEmpty ? null : { image: this.pad.toBase64() };
  }

  run() {
    this.showAmount();
    this.showStrip();
  }

  async showAmount() {
    const model = this.model, direction = this.current, start = this.startPoint();
    if (!model || !direction || !start) {
      this.image.hidden = true;
      this.imagePlaceholder.hidden = false;
      this.imagePlaceholder.textContent = !direction ? 'Store a direction first' : 'Choose a start image';
      return;
    }
    const amount = Number(this.amount.value);
    const signal = this.nextImage();
    try {
      const { blob } = await api.edit(model.id, { ...start, direction: direction.name, amounts: [amount] }, { scale: 4, label: this.label }, signal);
      if (model !== this.model) return;
      await showBlob(this.image, blob);
      this.image.dataset.amount = String(amount);
      this.imagePlaceholder.hidden = true;
      clearError(this.error);
    } catch (error) {
      if (model === this.model) showError(this.error, error);
    }
  }

  async showStrip() {
    const model = this.model, direction = this.current, start = this.startPoint();
    if (!model || !direction || !start) {
      this.strip.hidden = true;
      this.stripCaption.textContent = '';
      return;
    }
    const signal = this.nextStrip();
    try {
      const { blob } = await api.edit(model.id, { ...start, direction: direction.name, amounts: STRIP_AMOUNTS }, { scale: 2, label: this.label }, signal);
      if (model !== this.model) return;
      await showBlob(this.strip, blob);
      this.strip.dataset.direction = direction.name;
      this.stripCaption.textContent = `The start moved along “${direction.name}” by ${STRIP_AMOUNTS.join(', ')}.`;
    } catch (error) {
      if (model === this.model) showError(this.error, error);
    }
  }
}
