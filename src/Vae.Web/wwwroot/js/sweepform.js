// Start a sweep from the training form: the form's request is the base, one setting takes each of
// the values listed, and the service queues one job per value.

import { api } from './api.js';
import { $, clearError, showError } from './util.js';

/** Example values when a setting is picked, so the box always shows a sweep that makes sense. */
const EXAMPLES = {
  'model.beta': '0.5, 1, 4',
  'model.latentDim': '2, 8, 32',
  learningRate: '0.0003, 0.001, 0.003',
  batchSize: '32, 128, 512',
  epochs: '1, 5, 20',
};

export class SweepForm {
  /** @param {{ readRequest: () => { request: object, problems: object }, onStarted?: (sweep) => void }} options */
  constructor(box, { readRequest, onStarted = () => {} }) {
    this.field = $('#sweep-field', box);
    this.values = $('#sweep-values', box);
    this.button = $('#sweep-submit', box);
    this.status = $('#sweep-status', box);
    this.error = $('#sweep-error', box);
    this.readRequest = readRequest;
    this.onStarted = onStarted;
    this.field.addEventListener('change', () => { this.values.value = EXAMPLES[this.field.value] ?? ''; });
    this.button.addEventListener('click', () => this.start());
  }

  /** The values typed, as numbers; null (and the reason shown) when one is not a number. */
  readValues() {
    const parts = this.values.value.split(/[\s,;]+/).filter(Boolean);
    const values = parts.map(Number);
    if (parts.length === 0 || values.some(v => !Number.isFinite(v))) {
      this.error.textContent = 'List the values as numbers separated by commas, such as 0.5, 1, 4.';
      this.values.setAttribute('aria-invalid', 'true');
      return null;
    }
    this.values.removeAttribute('aria-invalid');
    return values;
  }

  async start() {
    clearError(this.error);
    this.status.textContent = '';
    const values = this.readValues();
    if (!values) return;
    const { request, problems } = this.readRequest();
    const first = Object.entries(problems)[0];
    if (first) {
      this.error.textContent = `Fix the form first: ${first[0]} ${first[1]}`;
      return;
    }
    const key = this.field.value;
    // The form's own value of the swept setting is replaced by each of the values.
    // A sweep's name starts its points' model names, so it keeps to their characters ("beta-sweep").
    const name = request.name || `${key.slice(key.lastIndexOf('.') + 1)}-sweep`;
    this.button.disabled = true;
    try {
      const sweep = await api.startSweep({ name, base: request, grid: { [key]: values } });
      this.status.textContent = `Sweep "${sweep.name}" queued: ${sweep.points.length} jobs. Their models join "Compare models" as they finish.`;
      this.onStarted(sweep);
    } catch (error) {
      const messages = Object.entries(error.problem?.errors ?? {}).map(([field, list]) => `${field} ${list.join(' ')}`);
      if (messages.length) this.error.textContent = messages.join(' ');
      else showError(this.error, error);
    } finally {
      this.button.disabled = false;
    }
  }
}
