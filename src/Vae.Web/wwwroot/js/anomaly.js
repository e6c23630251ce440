// Is this unusual? An image (drawn, loaded, or copied from the main drawing) is scored by the model:
// its -log p(x), its percentile among the model's own test images, its reconstruction, and a marker
// on the histogram of the test images' scores.

import { api } from './api.js';
import { SketchPad } from './draw.js';
import { Histogram } from './histogram.js';
import { kindOf } from './model.js';
import { $, clearError, coalesce, debounce, latestOnly, showBlob, showError } from './util.js';

const MEASURES = {
  negativeIwae: '−log p(x), nats (IWAE estimate)',
  reconstruction: 'reconstruction error −log p(x|z), nats',
};

/** Words for a percentile: how the image compares with the test images. */
function verdict(percentile) {
  if (percentile >= 99.5) return 'Very unusual: it scores above every test image or nearly.';
  if (percentile >= 95) return 'Unusual: few test images score this high.';
  if (percentile >= 5) return 'Typical: it scores like the test images.';
  return 'Very typical: it scores lower than nearly every test image.';
}

export class AnomalySection {
  /** @param {HTMLElement} section @param {{ drawPad: SketchPad }} options */
  constructor(section, { drawPad }) {
    this.model = null;
    this.label = undefined;
    this.histogramData = null;
    this.drawPad = drawPad;
    this.error = $('#anomaly-error', section);
    this.hint = $('#anomaly-hint', section);
    this.recon = $('#anomaly-recon', section);
    this.placeholder = $('#anomaly-placeholder', section);
    this.figure = $('#anomaly-score', section);
    this.verdict = $('#anomaly-verdict', section);
    this.details = $('#anomaly-details', section);
    this.caption = $('#anomaly-histogram-caption', section);
    this.chart = new Histogram($('#anomaly-histogram', section), { title: 'Scores of the test images' });
    this.nextScore = latestOnly();
    this.nextHistogram = latestOnly();
    this.scores = 0;

    const update = coalesce(() => this.score());
    this.pad = new SketchPad($('#anomaly-canvas', section), { onEnd: debounce(update, 150) });
    $('#anomaly-clear', section).addEventListener('click', () => this.pad.clear());
    $('#anomaly-example', section).addEventListener('click', () => this.pad.drawExample());
    $('#anomaly-copy', section).addEventListener('click', () => {
      if (this.drawPad.isEmpty) {
        this.error.textContent = 'Draw or load an image in “Draw or load an image” first, then copy it here.';
        return;
      }
      this.pad.copyFrom(this.drawPad);
      update();
    });
    this.pad.acceptFiles($('#anomaly-file', section), this.error, () => this.score());
  }

  setModel(model, label) {
    this.model = model;
    this.label = label;
    this.hint.textContent = model?.channels === 3
      ? `The model scores how likely it finds an image: load a photo (it is scaled to ${model.width}×${model.height}) or draw, and see where it falls among the model's own test images.`
      : 'The model scores how likely it finds an image: draw anything (a digit, a letter, a face) or load a picture, and see where it falls among the model\'s own test images.';
    this.loadHistogram();
    this.score();
  }

  setLabel(label) {
    this.label = label;
    this.score();
  }

  /** The test images' scores: computed by the service the first time a model is asked (seconds), then kept. */
  async loadHistogram() {
    const model = this.model;
    this.histogramData = null;
    this.chart.setData(null);
    if (!model) {
      this.caption.textContent = 'No model yet.';
      return;
    }
    this.caption.textContent = 'Scoring the model’s test images (once per model; it can take a while)…';
    const signal = this.nextHistogram();
    try {
      const histogram = await api.scoreHistogram(model.id, { bins: 40 }, signal);
      if (model !== this.model) return;
      this.histogramData = histogram;
      this.chart.container.dataset.images = String(histogram.images);
      this.chart.setData(histogram, MEASURES[histogram.measure] ?? histogram.measure);
      const k = histogram.k ? `, k = ${histogram.k}` : '';
      this.caption.textContent = `The model's ${histogram.images} test images by ${MEASURES[histogram.measure] ?? histogram.measure}${k}; median ${histogram.median.toFixed(1)}. Higher is more unusual.`;
    } catch (error) {
      if (model !== this.model) return;
      this.caption.textContent = 'The test images could not be scored.';
      showError(this.error, error);
    }
  }

  async score() {
    const model = this.model;
    if (!model || this.pad.isEmpty) {
      this.recon.hidden = true;
      this.placeholder.hidden = false;
      this.placeholder.textContent = model ? 'Draw or load an image to score it' : 'No model to score with yet';
      this.figure.textContent = '–';
      this.verdict.textContent = '';
      this.details.textContent = '';
      this.chart.setMarker(null);
      return;
    }
    const signal = this.nextScore();
    try {
      const png = await this.pad.toBlob();
      const label = this.label;
      const [answer, recon] = await Promise.all([
        api.scorePng(model.id, png, { label }, signal),
        api.reconstructPng(model.id, png, { label }, signal),
      ]);
      if (model !== this.model) return;
      const s = answer.scores[0];
      const value = answer.measure === 'negativeIwae' ? s.negativeIwae : s.reconstruction;
      await showBlob(this.recon, recon);
      this.placeholder.hidden = true;
      this.figure.textContent = s.percentile == null ? `${value.toFixed(1)} nats` : `${s.percentile.toFixed(1)} %`;
      this.figure.dataset.percentile = s.percentile == null ? '' : String(s.percentile);
      this.verdict.textContent = s.percentile == null
        ? 'The model’s test images are not available to compare with.'
        : `More unusual than ${s.percentile.toFixed(1)} % of the test images. ${verdict(s.percentile)}`;
      this.details.textContent = kindOf(model) === 'ae'
        ? `Reconstruction error ${s.reconstruction.toFixed(1)} nats. A plain autoencoder has no likelihood, so it is ranked by this alone.`
        : `−log p(x) ≈ ${s.negativeIwae.toFixed(1)} nats (IWAE, k = ${answer.k}) · −ELBO ${s.negativeElbo.toFixed(1)} · reconstruction ${s.reconstruction.toFixed(1)} nats`;
      this.chart.setMarker(value, `this image: ${value.toFixed(0)}`);
      this.figure.dataset.scores = String(++this.scores);
      clearError(this.error);
    } catch (error) {
      if (model === this.model) showError(this.error, error);
    }
  }
}
