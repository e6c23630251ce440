// A square view of two latent dimensions on a canvas: a decoded image (the manifold) or the
// dataset's codes as dots, with the drawn digit's code as a marker and a probe that follows the
// pointer (or the arrow keys) and reports where it points, so the caller can decode that code.

import { niceStep, ticks } from './charts.js';
import { cssVar, renderOnNextFrame } from './util.js';

/** One colour per digit label, distinct on a black background. */
export const LABEL_COLORS = [
  '#4e9cff', '#ff9f40', '#4cc76a', '#ff5c5c', '#b58cff',
  '#d2a27a', '#ff85d0', '#cfd4db', '#d8d64a', '#3fd9e6',
];

export class LatentPlane {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ onProbe?: (x: number, y: number) => void }} options
   */
  constructor(canvas, { onProbe = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onProbe = onProbe;
    this.extent = { x0: -3, x1: 3, y0: -3, y1: 3 };
    this.image = null;
    this.points = [];
    this.dims = [0, 1];
    this.marker = null;
    this.probe = null;
    this.message = '';
    this.frame = 0;
    this.cssSize = 0;

    new ResizeObserver(() => this.resize()).observe(canvas);
    canvas.addEventListener('pointermove', e => this.pointer(e));
    canvas.addEventListener('pointerdown', e => {
      if (e.pointerType !== 'mouse') canvas.setPointerCapture?.(e.pointerId);
      this.pointer(e);
    });
    canvas.addEventListener('keydown', e => this.key(e));
    canvas.addEventListener('focus', () => {
      if (!this.probe && this.hasContent()) this.setProbeAndReport((this.extent.x0 + this.extent.x1) / 2, (this.extent.y0 + this.extent.y1) / 2);
    });
  }

  hasContent() {
    return !this.message && (this.image !== null || this.points.length > 0);
  }

  resize() {
    const size = this.canvas.clientWidth;
    if (size <= 0) return;
    const ratio = window.devicePixelRatio || 1;
    this.cssSize = size;
    this.canvas.width = Math.round(size * ratio);
    this.canvas.height = Math.round(size * ratio);
    this.render();
  }

  /** Visible range in latent units: x left to right, y bottom to top. */
  setExtent(extent) {
    this.extent = extent;
    this.schedule();
  }

  /** A decoded grid that covers exactly the current extent; null to show dots instead. */
  setImage(image) {
    this.image = image;
    this.message = '';
    this.schedule();
  }

  /** Codes with labels; the extent is fitted to them (1st to 99th percentile, square, centred). */
  setPoints(points, dims) {
    this.points = points;
    this.dims = dims;
    this.message = '';
    this.canvas.dataset.pointCount = String(points.length);
    if (points.length > 0) this.extent = fitExtent(points, dims);
    this.schedule();
  }

  setDims(dims) {
    this.dims = dims;
    this.schedule();
  }

  /** The drawn digit's code (already projected to [x, y]), or null. */
  setMarker(marker) {
    this.marker = marker;
    this.schedule();
  }

  /** Replaces the content with a line of text (loading, not applicable, an error). */
  setMessage(message) {
    this.message = message;
    if (message) {
      this.image = null;
      this.points = [];
      this.canvas.dataset.pointCount = '0';
    }
    this.schedule();
  }

  clearProbe() {
    this.probe = null;
    this.schedule();
  }

  schedule() {
    renderOnNextFrame(this);
  }

  toLatent(px, py) {
    const { x0, x1, y0, y1 } = this.extent;
    return [x0 + (px / this.cssSize) * (x1 - x0), y1 - (py / this.cssSize) * (y1 - y0)];
  }

  toPixel(x, y) {
    const { x0, x1, y0, y1 } = this.extent;
    return [((x - x0) / (x1 - x0)) * this.cssSize, ((y1 - y) / (y1 - y0)) * this.cssSize];
  }

  pointer(e) {
    if (!this.hasContent() || this.cssSize <= 0) return;
    if (e.pointerType === 'touch' || e.pointerType === 'pen') e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const px = Math.max(0, Math.min(rect.width, e.clientX - rect.left));
    const py = Math.max(0, Math.min(rect.height, e.clientY - rect.top));
    const [x, y] = this.toLatent((px / rect.width) * this.cssSize, (py / rect.height) * this.cssSize);
    this.setProbeAndReport(x, y);
  }

  key(e) {
    if (!this.hasContent()) return;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    const { x0, x1, y0, y1 } = this.extent;
    const [cx, cy] = this.probe ?? [(x0 + x1) / 2, (y0 + y1) / 2];
    const step = ((x1 - x0) / 20) * (e.shiftKey ? 4 : 1);
    const x = Math.max(x0, Math.min(x1, cx + move[0] * step));
    const y = Math.max(y0, Math.min(y1, cy + move[1] * step));
    this.setProbeAndReport(x, y);
  }

  setProbeAndReport(x, y) {
    this.probe = [x, y];
    this.schedule();
    this.onProbe(x, y);
  }

  render() {
    const { ctx, canvas, cssSize: size } = this;
    if (size <= 0) return;
    const ratio = canvas.width / size;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = cssVar('--panel', '#000');
    ctx.fillRect(0, 0, size, size);
    const muted = cssVar('--panel-text', '#9aa3af');

    if (this.message) {
      ctx.fillStyle = muted;
      ctx.font = '14px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      wrapText(ctx, this.message, size / 2, size / 2, size - 32, 18);
      return;
    }

    if (this.image) {
      // Enlarged, the tiles keep their pixels; shrunk, they are averaged rather than aliased.
      ctx.imageSmoothingEnabled = size * ratio < this.image.naturalWidth;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(this.image, 0, 0, size, size);
    } else {
      this.drawGrid(muted);
      this.drawPoints(size);
    }
    this.drawTicks(muted);
    this.drawMarker();
    this.drawProbe();
  }

  drawGrid(color) {
    const { ctx } = this;
    const [ox, oy] = this.toPixel(0, 0);
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(ox, 0); ctx.lineTo(ox, this.cssSize);
    ctx.moveTo(0, oy); ctx.lineTo(this.cssSize, oy);
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  drawPoints(size) {
    const { ctx, points, dims } = this;
    const [dx, dy] = dims;
    const radius = size < 300 ? 2 : 2.6;
    ctx.globalAlpha = 0.75;
    for (let label = 0; label < LABEL_COLORS.length; label++) {
      ctx.fillStyle = LABEL_COLORS[label];
      ctx.beginPath();
      for (const p of points) {
        if ((p.label % LABEL_COLORS.length) !== label) continue;
        const [x, y] = this.toPixel(p.mu[dx], p.mu[dy]);
        ctx.moveTo(x + radius, y);
        ctx.arc(x, y, radius, 0, Math.PI * 2);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  drawTicks(color) {
    const { ctx } = this;
    const { x0, x1, y0, y1 } = this.extent;
    const size = this.cssSize;
    const step = niceStep(x0, x1, 4);
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.9;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    for (const t of ticks(x0, x1, step)) {
      const [px] = this.toPixel(t, 0);
      if (px < 14 || px > size - 14) continue;
      outlined(ctx, t.toFixed(decimals), px, size - 3);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const yStep = niceStep(y0, y1, 4);
    const yDecimals = Math.max(0, -Math.floor(Math.log10(yStep)));
    for (const t of ticks(y0, y1, yStep)) {
      const [, py] = this.toPixel(0, t);
      if (py < 12 || py > size - 22) continue;
      outlined(ctx, t.toFixed(yDecimals), 4, py);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    outlined(ctx, `z${this.dims[0]} →, z${this.dims[1]} ↑`, size - 5, 5);
    ctx.globalAlpha = 1;
  }

  drawMarker() {
    if (!this.marker) return;
    const { ctx } = this;
    const [x, y] = this.toPixel(this.marker[0], this.marker[1]);
    const size = this.cssSize;
    // A code outside the view is pinned to the edge, so the visitor still sees where it went.
    const cx = Math.max(8, Math.min(size - 8, x));
    const cy = Math.max(8, Math.min(size - 8, y));
    const r = 8;
    ctx.beginPath();
    ctx.moveTo(cx, cy - r); ctx.lineTo(cx + r, cy); ctx.lineTo(cx, cy + r); ctx.lineTo(cx - r, cy); ctx.closePath();
    ctx.fillStyle = '#ffffff';
    ctx.strokeStyle = '#000000';
    ctx.lineWidth = 2;
    ctx.fill();
    ctx.stroke();
  }

  drawProbe() {
    if (!this.probe) return;
    const { ctx } = this;
    const [x, y] = this.toPixel(this.probe[0], this.probe[1]);
    const size = this.cssSize;
    ctx.strokeStyle = cssVar('--focus', '#f0a500');
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.7;
    ctx.beginPath();
    ctx.moveTo(x, 0); ctx.lineTo(x, size);
    ctx.moveTo(0, y); ctx.lineTo(size, y);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, Math.PI * 2);
    ctx.stroke();
  }
}

/** Text with a dark outline, readable over decoded digits as well as over the dark panel. */
function outlined(ctx, text, x, y) {
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.strokeStyle = 'rgba(0, 0, 0, 0.85)';
  ctx.lineWidth = 3;
  ctx.lineJoin = 'round';
  ctx.strokeText(text, x, y);
  ctx.restore();
  ctx.fillText(text, x, y);
}

function percentile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

function fitExtent(points, [dx, dy]) {
  const xs = points.map(p => p.mu[dx]).filter(Number.isFinite);
  const ys = points.map(p => p.mu[dy]).filter(Number.isFinite);
  if (xs.length === 0 || ys.length === 0) return { x0: -3, x1: 3, y0: -3, y1: 3 };
  const xLo = percentile(xs, 0.01), xHi = percentile(xs, 0.99);
  const yLo = percentile(ys, 0.01), yHi = percentile(ys, 0.99);
  const cx = (xLo + xHi) / 2, cy = (yLo + yHi) / 2;
  const half = Math.max(xHi - xLo, yHi - yLo, 1e-3) * 0.5 * 1.15;
  return { x0: cx - half, x1: cx + half, y0: cy - half, y1: cy + half };
}

function wrapText(ctx, text, x, y, maxWidth, lineHeight) {
  const words = text.split(/\s+/);
  const lines = [];
  let line = '';
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width > maxWidth && line) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  const top = y - ((lines.length - 1) * lineHeight) / 2;
  lines.forEach((l, i) => ctx.fillText(l, x, top + i * lineHeight));
}
