// Samples: a grid of images decoded from the prior, with count, seed and temperature controls (and,
// for a conditional model, the class chosen at the top of the page).

import { api } from './api.js';
import { modelName } from './model.js';
import { $, clearError, debounce, latestOnly, randomSeed, showBlob, showError } from './util.js';

export const COLUMNS = 8;
export const TILE = 28;
export const PADDING = 2;

export class Gallery {
  /**
   * @param {HTMLElement} section
   * @param {{ onPick?: (img: HTMLImageElement, x: number, y: number, size: number) => void }} options
   *   onPick: a tile was clicked; x, y, size give the tile's square in the image's own pixels.
   */
  constructor(section, { onPick = () => {} } = {}) {
    this.model = null;
    this.img = $('#samples-img', section);
    this.error = $('#samples-error', section);
    this.count = $('#samples-count', section);
    this.seed = $('#samples-seed', section);
    this.temperature = $('#samples-temperature', section);
    this.temperatureValue = $('#samples-temperature-value', section);
    this.newButton = $('#samples-new', section);
    this.next = latestOnly();
    this.grid = null;
    this.onPick = onPick;

    const reload = debounce(() => this.load(), 250);
    this.count.addEventListener('change', () => this.load());
    this.seed.addEventListener('input', reload);
    this.temperature.addEventListener('input', () => {
      this.temperatureValue.textContent = Number(this.temperature.value).toFixed(1);
      reload();
    });
    this.newButton.addEventListener('click', () => {
      this.seed.value = String(randomSeed());
      this.load();
    });
    this.img.addEventListener('click', e => this.pick(e));
  }

  setModel(model, label) {
    this.model = model;
    this.label = label;
    this.newButton.disabled = !model;
    if (model) this.load();
    else this.img.hidden = true;
  }

  setLabel(label) {
    this.label = label;
    this.load();
  }

  async load() {
    if (!this.model) return;
    const signal = this.next();
    const seed = Number.parseInt(this.seed.value, 10);
    const temperature = Number(this.temperature.value);
    if (!Number.isFinite(seed) || seed < 0) {
      this.error.textContent = 'The seed must be a whole number of at least 0.';
      return;
    }
    try {
      const n = Number(this.count.value);
      const { blob, grid } = await api.samples(this.model.id, { n, seed, temperature, columns: COLUMNS, label: this.label }, signal);
      this.grid = grid;
      await showBlob(this.img, blob);
      this.img.alt = `${n} images sampled from ${modelName(this.model)} with seed ${seed} at temperature ${temperature}`;
      this.img.dataset.count = String(n);
      clearError(this.error);
    } catch (error) {
      showError(this.error, error);
    }
  }

  pick(e) {
    const img = this.img;
    if (!img.naturalWidth) return;
    const rect = img.getBoundingClientRect();
    const x = ((e.clientX - rect.left) / rect.width) * img.naturalWidth;
    const y = ((e.clientY - rect.top) / rect.height) * img.naturalHeight;
    // The service reports the grid's layout; without it, assume the model's size and the default layout.
    const tile = this.model?.config?.width ?? TILE;
    const grid = this.grid ?? { columns: COLUMNS, tileWidth: tile, tileHeight: this.model?.config?.height ?? tile, padding: PADDING };
    const column = Math.floor((x - grid.padding) / (grid.tileWidth + grid.padding));
    const row = Math.floor((y - grid.padding) / (grid.tileHeight + grid.padding));
    const index = row * grid.columns + column;
    if (column < 0 || column >= grid.columns || row < 0 || index >= Number(img.dataset.count)) return;
    this.onPick(img, grid.padding + column * (grid.tileWidth + grid.padding), grid.padding + row * (grid.tileHeight + grid.padding), grid.tileWidth);
  }
}
