// A square view of two latent dimensions on a canvas: a decoded image (the manifold) or the
// dataset's codes as dots, with the drawn digit's code as a marker and a probe that follows the
// pointer (or the arrow keys) and reports where it points, so the caller can decode that code.
// The plot sits inside a frame that holds the axis labels, so they never cover a decoded tile or a dot.

import { niceStep, ticks } from './charts.js';
import { cssVar, renderOnNextFrame } from './util.js';

/** One colour per digit label, distinct on a black background. */
export const LABEL_COLORS = [
  '#4e9cff', '#ff9f40', '#4cc76a', '#ff5c5c', '#b58cff',
  '#d2a27a', '#ff85d0', '#cfd4db', '#d8d64a', '#3fd9e6',
];

// The frame around the square plot, in CSS pixels: tick labels left and below, the axis names above.
// Left + right equals top + bottom, so the plot stays square in the square canvas.
const FRAME = { left: 30, right: 6, top: 16, bottom: 20 };

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

  /** Codes with labels; the extent is fitted to them (all of them, square, centred). */
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

  /** The square the latent plane is drawn in, inside the frame: { left, top, size } in CSS pixels. */
  get plot() {
    return { left: FRAME.left, top: FRAME.top, size: Math.max(1, this.cssSize - FRAME.left - FRAME.right) };
  }

  toLatent(px, py) {
    const { x0, x1, y0, y1 } = this.extent;
    const { left, top, size } = this.plot;
    return [x0 + ((px - left) / size) * (x1 - x0), y1 - ((py - top) / size) * (y1 - y0)];
  }

  toPixel(x, y) {
    const { x0, x1, y0, y1 } = this.extent;
    const { left, top, size } = this.plot;
    return [left + ((x - x0) / (x1 - x0)) * size, top + ((y1 - y) / (y1 - y0)) * size];
  }

  pointer(e) {
    if (!this.hasContent() || this.cssSize <= 0) return;
    if (e.pointerType === 'touch' || e.pointerType === 'pen') e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const { left, top, size } = this.plot;
    // A pointer over the frame probes the nearest edge of the plot.
    const px = Math.max(left, Math.min(left + size, ((e.clientX - rect.left) / rect.width) * this.cssSize));
    const py = Math.max(top, Math.min(top + size, ((e.clientY - rect.top) / rect.height) * this.cssSize));
    const [x, y] = this.toLatent(px, py);
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
      const plot = this.plot;
      // Enlarged, the tiles keep their pixels; shrunk, they are averaged rather than aliased.
      ctx.imageSmoothingEnabled = plot.size * ratio < this.image.naturalWidth;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(this.image, plot.left, plot.top, plot.size, plot.size);
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
    const { left, top, size } = this.plot;
    const [ox, oy] = this.toPixel(0, 0);
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = 1;
    ctx.strokeRect(left + 0.5, top + 0.5, size - 1, size - 1);
    ctx.beginPath();
    if (ox > left && ox < left + size) { ctx.moveTo(ox, top); ctx.lineTo(ox, top + size); }
    if (oy > top && oy < top + size) { ctx.moveTo(left, oy); ctx.lineTo(left + size, oy); }
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

  /** Tick marks and their values in the frame, left and below the plot, and the axis names above it. */
  drawTicks(color) {
    const { ctx } = this;
    const { x0, x1, y0, y1 } = this.extent;
    const { left, top, size } = this.plot;
    const canvasSize = this.cssSize;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = color;
    ctx.strokeStyle = color;
    ctx.lineWidth = 1;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const step = niceStep(x0, x1, 4);
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    for (const t of ticks(x0, x1, step)) {
      const [px] = this.toPixel(t, 0);
      const text = t.toFixed(decimals);
      const half = ctx.measureText(text).width / 2;
      if (px - half < 0 || px + half > canvasSize) continue;
      ctx.beginPath();
      ctx.moveTo(px, top + size); ctx.lineTo(px, top + size + 3);
      ctx.stroke();
      ctx.fillText(text, px, top + size + 5);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const yStep = niceStep(y0, y1, 4);
    const yDecimals = Math.max(0, -Math.floor(Math.log10(yStep)));
    for (const t of ticks(y0, y1, yStep)) {
      const [, py] = this.toPixel(0, t);
      if (py < 6 || py > canvasSize - 6) continue;
      ctx.beginPath();
      ctx.moveTo(left - 3, py); ctx.lineTo(left, py);
      ctx.stroke();
      ctx.fillText(t.toFixed(yDecimals), left - 5, py);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(`z${this.dims[0]} →, z${this.dims[1]} ↑`, left + size, 2);
  }

  drawMarker() {
    if (!this.marker) return;
    const { ctx } = this;
    const [x, y] = this.toPixel(this.marker[0], this.marker[1]);
    const { left, top, size } = this.plot;
    // A code outside the view is pinned to the edge, so the visitor still sees where it went.
    const cx = Math.max(left + 8, Math.min(left + size - 8, x));
    const cy = Math.max(top + 8, Math.min(top + size - 8, y));
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
    const { left, top, size } = this.plot;
    ctx.strokeStyle = cssVar('--focus', '#f0a500');
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.7;
    ctx.beginPath();
    ctx.moveTo(x, top); ctx.lineTo(x, top + size);
    ctx.moveTo(left, y); ctx.lineTo(left + size, y);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, Math.PI * 2);
    ctx.stroke();
  }
}

/** The square extent that holds every point, with a margin so a dot at the edge is whole. */
function fitExtent(points, [dx, dy]) {
  const xs = points.map(p => p.mu[dx]).filter(Number.isFinite);
  const ys = points.map(p => p.mu[dy]).filter(Number.isFinite);
  if (xs.length === 0 || ys.length === 0) return { x0: -3, x1: 3, y0: -3, y1: 3 };
  const [xLo, xHi] = [Math.min(...xs), Math.max(...xs)];
  const [yLo, yHi] = [Math.min(...ys), Math.max(...ys)];
  const cx = (xLo + xHi) / 2, cy = (yLo + yHi) / 2;
  const half = Math.max(xHi - xLo, yHi - yLo, 1e-3) * 0.5 * 1.06;
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
