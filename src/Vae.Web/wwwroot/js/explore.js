// Latent space: the decoded plane over two chosen dimensions, the test images' codes on the same
// dimensions (for the chosen model and, side by side, a second one to compare), and a probe that
// decodes whatever point of a plane the visitor points at.

import { api, isAbort } from './api.js';
import { latentSizeOf, modelLabel, modelName, kindOf } from './model.js';
import { LABEL_COLORS, LatentPlane } from './plane.js';
import { $, clearError, coalesce, debounce, el, imageFromBlob, latestOnly, messageOf, showBlob, showError } from './util.js';

const LATENT_LIMIT = 2000;

export class ExploreSection {
  constructor(section) {
    this.model = null;
    this.models = [];
    this.compareModel = null;
    this.compareChosen = false;
    this.drawnCode = null;
    this.latentCache = new Map();
    this.error = $('#explore-error', section);
    this.dimX = $('#dim-x', section);
    this.dimY = $('#dim-y', section);
    this.range = $('#manifold-range', section);
    this.gridSize = $('#manifold-n', section);
    this.compareSelect = $('#compare-select', section);
    this.compareFigure = $('#compare-figure', section);
    this.manifoldCaption = $('#manifold-caption', section);
    this.scatterCaption = $('#scatter-caption', section);
    this.compareCaption = $('#compare-caption', section);
    this.probeImg = $('#probe-img', section);
    this.probePlaceholder = $('#probe-placeholder', section);
    this.probeCaption = $('#probe-caption', section);
    this.nextManifold = latestOnly();
    this.nextScatter = latestOnly();
    this.nextCompare = latestOnly();
    this.pendingProbe = null;

    const decodeProbe = coalesce(() => this.decodeProbe());
    const probe = which => (x, y) => {
      this.pendingProbe = { which, x, y };
      decodeProbe();
    };
    this.manifold = new LatentPlane($('#manifold-canvas', section), { onProbe: probe('main') });
    this.scatter = new LatentPlane($('#scatter-canvas', section), { onProbe: probe('main') });
    this.compare = new LatentPlane($('#compare-canvas', section), { onProbe: probe('compare') });

    this.legend = $('#label-legend', section);
    this.fillLegend(null);

    this.dimX.addEventListener('change', () => this.dimsChanged(this.dimX, this.dimY));
    this.dimY.addEventListener('change', () => this.dimsChanged(this.dimY, this.dimX));
    const reloadManifold = debounce(() => this.loadManifold(), 300);
    this.range.addEventListener('input', reloadManifold);
    this.gridSize.addEventListener('change', () => this.loadManifold());
    this.compareSelect.addEventListener('change', () => {
      this.compareChosen = true;
      this.compareModel = this.models.find(m => m.id === this.compareSelect.value) ?? null;
      this.loadCompare();
    });
  }

  get dims() {
    return [Number(this.dimX.value), Number(this.dimY.value)];
  }

  setModels(models) {
    this.models = models;
    for (const id of [...this.latentCache.keys()]) {
      if (!models.some(m => m.id === id)) this.latentCache.delete(id);
    }
  }

  /** One colour per class, named as the model's dataset names them. */
  fillLegend(model) {
    const names = model?.classNames ?? Array.from({ length: 10 }, (_, k) => `digit ${k}`);
    this.legend.replaceChildren(...names.map((name, label) =>
      el('li', {}, el('span', { className: 'dot', attrs: { style: `background:${LABEL_COLORS[label % LABEL_COLORS.length]}`, 'aria-hidden': 'true' } }), name)));
  }

  setLabel(label) {
    this.label = label;
    this.loadManifold();
    this.decodeProbe();
  }

  setModel(model, label) {
    this.model = model;
    this.label = label;
    this.fillLegend(model);
    this.drawnCode = null;
    this.manifold.setMarker(null);
    this.scatter.setMarker(null);
    this.manifold.clearProbe();
    this.scatter.clearProbe();
    this.compare.clearProbe();
    this.fillDims();
    this.fillCompare();
    if (!model) {
      for (const plane of [this.manifold, this.scatter]) plane.setMessage('No trained model yet.');
      this.compareFigure.hidden = true;
      return;
    }
    this.loadManifold();
    this.loadScatter();
    this.loadCompare();
  }

  fillDims() {
    const size = latentSizeOf(this.model);
    const keep = [this.dimX.value, this.dimY.value].map(Number);
    const options = () => Array.from({ length: Math.max(size, 0) }, (_, i) => el('option', { value: String(i) }, `z${i}`));
    this.dimX.replaceChildren(...options());
    this.dimY.replaceChildren(...options());
    const ok = keep[0] < size && keep[1] < size && keep[0] !== keep[1];
    this.dimX.value = String(ok ? keep[0] : 0);
    this.dimY.value = String(ok ? keep[1] : Math.min(1, size - 1));
    this.dimX.disabled = this.dimY.disabled = size < 2;
  }

  /** Keeps the two dimensions different: choosing the other one's dimension swaps them. */
  dimsChanged(changed, other) {
    if (changed.value === other.value) {
      other.value = changed.dataset.previous ?? String((Number(changed.value) + 1) % latentSizeOf(this.model));
    }
    this.dimX.dataset.previous = this.dimX.value;
    this.dimY.dataset.previous = this.dimY.value;
    this.manifold.clearProbe();
    this.scatter.clearProbe();
    this.compare.clearProbe();
    this.loadManifold();
    this.loadScatter();
    this.loadCompare();
    this.updateMarkers();
  }

  /** After the model list changed under the same chosen model: the comparison may have a new candidate. */
  refreshCompare() {
    const before = this.compareModel?.id;
    this.fillCompare();
    if (this.compareModel?.id !== before) this.loadCompare();
  }

  /** Compare with another model; unless the visitor chose, the newest of the other kind (AE vs VAE). */
  fillCompare() {
    const others = this.models.filter(m => m.id !== this.model?.id);
    const chosen = this.compareChosen ? this.compareModel : null;
    const kind = kindOf(this.model);
    const suggested = others.find(m => kindOf(m) !== kind && m.dataset === this.model?.dataset) ?? null;
    this.compareModel = chosen && others.some(m => m.id === chosen.id) ? chosen : (this.compareChosen ? null : suggested);
    this.compareSelect.replaceChildren(
      el('option', { value: '' }, 'No other model'),
      ...others.map(m => el('option', { value: m.id }, modelLabel(m))));
    this.compareSelect.value = this.compareModel?.id ?? '';
    this.compareSelect.disabled = others.length === 0;
  }

  setDrawnCode(mu) {
    this.drawnCode = mu;
    this.updateMarkers();
  }

  updateMarkers() {
    const [dx, dy] = this.dims;
    const mu = this.drawnCode;
    const marker = mu && mu.length > Math.max(dx, dy) ? [mu[dx], mu[dy]] : null;
    this.manifold.setMarker(marker);
    this.scatter.setMarker(marker);
  }

  async loadManifold() {
    const model = this.model;
    if (!model) return;
    const signal = this.nextManifold();
    if (latentSizeOf(model) < 2) {
      this.manifold.setMessage('This model has a single latent dimension; a plane needs two.');
      this.manifoldCaption.textContent = 'Decoded plane';
      return;
    }
    const range = Number(this.range.value);
    const n = Number(this.gridSize.value);
    const dims = this.dims;
    if (!(range > 0)) {
      this.error.textContent = 'The range must be a number above 0.';
      return;
    }
    try {
      const blob = await api.manifold(model.id, { n, range, dims, label: this.label }, signal);
      const image = await imageFromBlob(blob);
      if (signal.aborted) return;
      // Tile centres run from -range to +range; the image reaches half a tile beyond them.
      const half = n > 1 ? range / (n - 1) : range;
      this.manifold.setExtent({ x0: -range - half, x1: range + half, y0: -range - half, y1: range + half });
      this.manifold.setImage(image);
      this.manifoldCaption.textContent = `Decoded plane: z${dims[0]} across, z${dims[1]} up, each from −${range} to ${range}; other dimensions 0.`;
      clearError(this.error);
    } catch (error) {
      if (isAbort(error)) return;
      showError(this.error, error);
      this.manifold.setMessage('The plane could not be drawn; the message above says why.');
      this.manifoldCaption.textContent = 'Decoded plane';
    }
  }

  latentsOf(model) {
    let promise = this.latentCache.get(model.id);
    if (!promise) {
      promise = api.latents(model.id, { split: 'test', limit: LATENT_LIMIT }).then(r => r.points ?? []);
      this.latentCache.set(model.id, promise);
      promise.catch(() => this.latentCache.delete(model.id));
    }
    return promise;
  }

  async loadScatter() {
    await this.loadPoints(this.scatter, this.model, this.scatterCaption, this.nextScatter);
  }

  async loadCompare() {
    const model = this.compareModel;
    this.compareFigure.hidden = !model;
    if (!model) {
      this.nextCompare();
      return;
    }
    await this.loadPoints(this.compare, model, this.compareCaption, this.nextCompare);
  }

  async loadPoints(plane, model, caption, next) {
    if (!model) return;
    const signal = next();
    const dims = this.dims;
    const size = latentSizeOf(model);
    if (size < 2 || dims.some(d => d >= size)) {
      plane.setMessage(size < 2
        ? 'This model has a single latent dimension; a plane needs two.'
        : `${modelName(model)} has ${size} latent dimensions; choose dimensions below ${size}.`);
      caption.textContent = modelLabel(model);
      return;
    }
    if (plane.points.length === 0 || plane.modelId !== model.id) {
      plane.setMessage('Encoding the test images…');
      caption.textContent = `${modelLabel(model)}: encoding the test images…`;
    }
    try {
      const points = await this.latentsOf(model);
      if (signal.aborted) return;
      plane.modelId = model.id;
      plane.setPoints(points, dims);
      caption.textContent = `${modelLabel(model)}: ${points.length} test images' mean codes, z${dims[0]} across, z${dims[1]} up.`;
      if (plane === this.scatter) this.updateMarkers();
    } catch (error) {
      if (signal.aborted) return;
      showError(this.error, error);
      plane.setMessage(`The test images could not be encoded: ${messageOf(error)}`);
    }
  }

  async decodeProbe() {
    const probe = this.pendingProbe;
    const model = probe?.which === 'compare' ? this.compareModel : this.model;
    if (!probe || !model) return;
    const [dx, dy] = this.dims;
    const latent = new Array(latentSizeOf(model)).fill(0);
    latent[dx] = probe.x;
    latent[dy] = probe.y;
    // The compared model draws its own first class when it is conditional; the chosen one is for this model.
    const label = model === this.model ? this.label : (model.conditional ? 0 : undefined);
    try {
      const blob = await api.decodePng(model.id, [latent], { scale: 4, label });
      await showBlob(this.probeImg, blob);
      this.probePlaceholder.hidden = true;
      this.probeCaption.textContent = `Decoded at z${dx} = ${probe.x.toFixed(2)}, z${dy} = ${probe.y.toFixed(2)} (others 0) by ${modelName(model)}`;
      this.probeImg.alt = `The image ${modelName(model)} decodes at z${dx} = ${probe.x.toFixed(2)}, z${dy} = ${probe.y.toFixed(2)}`;
      clearError(this.error);
    } catch (error) {
      showError(this.error, error);
    }
  }
}
