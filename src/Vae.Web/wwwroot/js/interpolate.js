// Interpolate: two ends (drawn, copied from the main drawing, picked from the samples, or random
// codes) and the strip of digits decoded along the path between them.

import { api } from './api.js';
import { SketchPad } from './draw.js';
import { latentSizeOf } from './model.js';
import { $, $$, clearError, debounce, gaussian, latestOnly, showBlob, showError } from './util.js';

export class InterpolateSection {
  /** @param {HTMLElement} section @param {{ drawPad: SketchPad }} options */
  constructor(section, { drawPad }) {
    this.model = null;
    this.drawPad = drawPad;
    this.error = $('#interp-error', section);
    this.img = $('#interp-img', section);
    this.steps = $('#interp-steps', section);
    this.stepsValue = $('#interp-steps-value', section);
    this.method = $('#interp-method', section);
    this.runButton = $('#interp-run', section);
    this.next = latestOnly();
    this.nextPick = 'a';

    const schedule = debounce(() => this.run(), 300);
    this.schedule = schedule;
    this.ends = {};
    for (const name of ['a', 'b']) {
      const end = { name, latent: null };
      end.pad = new SketchPad($(`#end-${name}`, section), {
        lineWidth: 10,
        onEnd: () => { end.latent = null; schedule(); },
      });
      this.ends[name] = end;
    }

    for (const button of $$('button[data-end]', section)) {
      button.addEventListener('click', () => {
        const end = this.ends[button.dataset.end];
        if (button.dataset.action === 'copy') this.copyDrawing(end);
        else this.randomize(end).then(() => this.run());
      });
    }
    this.steps.addEventListener('input', () => {
      this.stepsValue.textContent = this.steps.value;
      schedule();
    });
    this.method.addEventListener('change', () => this.run());
    this.runButton.addEventListener('click', () => this.run());
  }

  async setModel(model, label) {
    this.model = model;
    this.label = label;
    this.runButton.disabled = !model;
    if (!model) return;
    // Codes belong to one model: ends that were codes get fresh ones; drawn ends carry over.
    const fresh = Object.values(this.ends).filter(end => end.pad.isEmpty || end.latent);
    await Promise.all(fresh.map(end => this.randomize(end)));
    this.run();
  }

  /** A new class for a conditional model: code ends are drawn again in that class. */
  async setLabel(label) {
    this.label = label;
    const codes = Object.values(this.ends).filter(end => end.latent);
    await Promise.all(codes.map(end => this.redraw(end)));
    this.run();
  }

  async redraw(end) {
    const model = this.model;
    try {
      const decoded = await api.decodePixels(model.id, [end.latent], { label: this.label });
      if (model !== this.model) return;
      const latent = end.latent;
      end.pad.drawPixels(decoded.images[0], decoded.width, decoded.height, decoded.channels ?? model.channels);
      end.latent = latent;
    } catch (error) {
      showError(this.error, error);
    }
  }

  copyDrawing(end) {
    if (this.drawPad.isEmpty) {
      this.error.textContent = 'Draw or load an image in “Draw or load an image” first, then copy it here.';
      return;
    }
    end.pad.copyFrom(this.drawPad);
    end.latent = null;
    this.run();
  }

  /** Puts a square of an image (a clicked sample) into the next end, A then B then A… */
  pick(image, x, y, size) {
    const end = this.ends[this.nextPick];
    this.nextPick = this.nextPick === 'a' ? 'b' : 'a';
    end.pad.drawImage(image, x, y, size, size);
    end.latent = null;
    this.run();
  }

  async randomize(end) {
    const model = this.model;
    if (!model) return;
    const latent = Array.from({ length: latentSizeOf(model) }, gaussian);
    try {
      const decoded = await api.decodePixels(model.id, [latent], { label: this.label });
      if (model !== this.model) return;
      end.pad.drawPixels(decoded.images[0], decoded.width, decoded.height, decoded.channels ?? model.channels);
      end.latent = latent;
    } catch (error) {
      showError(this.error, error);
    }
  }

  endPoint(end) {
    return end.latent ? { latent: end.latent } : { png: end.pad.toBase64() };
  }

  async run() {
    const model = this.model;
    if (!model) return;
    const { a, b } = this.ends;
    if (a.pad.isEmpty || b.pad.isEmpty) {
      this.error.textContent = 'Both ends need an image: draw one, copy your drawing, click a sample, or pick a random one.';
      return;
    }
    const signal = this.next();
    const steps = Number(this.steps.value);
    const method = this.method.value;
    try {
      const blob = await api.interpolate(model.id, { from: this.endPoint(a), to: this.endPoint(b), steps, method, label: this.label }, signal);
      await showBlob(this.img, blob);
      this.img.alt = `${steps} images on the ${method === 'slerp' ? 'spherical' : 'straight'} path from A to B`;
      this.img.dataset.steps = String(steps);
      clearError(this.error);
    } catch (error) {
      showError(this.error, error);
    }
  }
}
