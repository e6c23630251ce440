// Draw or load an image: while the visitor draws, the drawing is encoded and reconstructed, and its code is
// handed on (to the latent planes) so they can mark where it lands.

import { api } from './api.js';
import { SketchPad } from './draw.js';
import { $, clearError, coalesce, showBlob, showError, throttle } from './util.js';

export class DrawSection {
  /** @param {{ onCode?: (mu: number[] | null) => void }} options */
  constructor(section, { onCode = () => {} } = {}) {
    this.model = null;
    this.onCode = onCode;
    this.error = $('#draw-error', section);
    this.recon = $('#recon-img', section);
    this.placeholder = $('#recon-placeholder', section);
    this.code = $('#draw-code', section);
    this.hint = $('#draw-hint', section);
    this.updates = 0;

    const update = coalesce(() => this.update());
    this.pad = new SketchPad($('#draw-canvas', section), {
      onStroke: throttle(update, 200),
      onEnd: update,
    });
    $('#draw-clear', section).addEventListener('click', () => this.pad.clear());
    $('#draw-example', section).addEventListener('click', () => this.pad.drawExample());
    this.pad.acceptFiles($('#draw-file', section), this.error, () => this.update());
  }

  setModel(model, label) {
    this.model = model;
    this.label = label;
    this.hint.textContent = model?.channels === 3
      ? `This model sees ${model.width}×${model.height} colour images: load one (any size; it is scaled to fit), or draw, and its code ◆ is marked in the latent space below.`
      : 'Draw with a mouse, pen or finger, or load an image file. The model encodes it as you go, decodes it back, and marks its code ◆ in the latent space below.';
    this.update();
  }

  setLabel(label) {
    this.label = label;
    this.update();
  }

  async update() {
    const model = this.model;
    if (!model || this.pad.isEmpty) {
      this.recon.hidden = true;
      this.placeholder.hidden = false;
      this.placeholder.textContent = model ? 'Draw to see the reconstruction' : 'No model to reconstruct with yet';
      this.code.textContent = '';
      this.onCode(null);
      return;
    }
    try {
      const png = await this.pad.toBlob();
      const label = this.label;
      const [recon, code] = await Promise.all([
        api.reconstructPng(model.id, png, { scale: 1, label }),
        api.encodePng(model.id, png, { label }),
      ]);
      // The model may have changed while the requests were out; its own update follows.
      if (model !== this.model) return;
      await showBlob(this.recon, recon);
      this.placeholder.hidden = true;
      this.recon.dataset.updates = String(++this.updates);
      const mu = code?.mu ?? [];
      const shown = mu.slice(0, 8).map(v => v.toFixed(2)).join(', ');
      this.code.textContent = `Latent mean: (${shown}${mu.length > 8 ? `, … ${mu.length - 8} more` : ''})`;
      this.onCode(mu);
      clearError(this.error);
    } catch (error) {
      showError(this.error, error);
    }
  }
}
