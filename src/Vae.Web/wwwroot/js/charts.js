// Line charts drawn as SVG at the size they are shown, redrawn when their box changes size.

import { el, renderOnNextFrame } from './util.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 240;
const MARGIN = { top: 12, right: 14, bottom: 36, left: 54 };
let clipCounter = 0;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

/** Round tick steps (1, 2 or 5 times a power of ten) giving about `count` ticks over [min, max]. */
export function niceStep(min, max, count) {
  const raw = Math.abs(max - min) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

export function ticks(min, max, step) {
  const out = [];
  const first = Math.ceil(min / step - 1e-9) * step;
  for (let v = first; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function formatTick(value, step) {
  const decimals = Math.max(0, Math.min(4, -Math.floor(Math.log10(step))));
  return value.toFixed(decimals);
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

/**
 * A chart of several series over a shared x axis. A series is
 * { id, label, className, points: [[x, y], ...], markers?, thin?, robust? }; a robust series (noisy
 * batch losses) sets the y range by its 5th to 95th percentile so a few early spikes do not flatten
 * the rest, and is clipped at the plot's edge.
 */
export class LineChart {
  constructor(container, { xLabel = '', yLabel = '', integerX = false, title = 'Chart' } = {}) {
    this.container = container;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.integerX = integerX;
    this.title = title;
    this.series = [];
    this.xDomain = null;
    this.xTicks = null;
    this.frame = 0;
    this.clipId = `chart-clip-${++clipCounter}`;
    this.svg = svg('svg', { role: 'img', 'aria-label': title, height: HEIGHT });
    this.legend = el('ul', { className: 'chart-legend' });
    container.replaceChildren(this.svg, this.legend);
    this.observer = new ResizeObserver(() => this.schedule());
    this.observer.observe(container);
  }

  setSeries(series) {
    this.series = series;
    this.legend.replaceChildren(...series.map(s =>
      el('li', { className: s.className }, el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } }), s.label)));
    this.schedule();
  }

  /** Fixes the x range (e.g. 0 to the planned epochs) instead of fitting it to the data. */
  setXDomain(domain) {
    this.xDomain = domain;
    this.schedule();
  }

  /** Puts the x ticks at these values with these labels ([{ value, label }]) instead of round steps; null for round steps. */
  setXTicks(xTicks) {
    this.xTicks = xTicks;
    this.schedule();
  }

  /** Redraws on the next frame; many updates in one frame (a burst of batches) cost one drawing. */
  schedule() {
    renderOnNextFrame(this);
  }

  pointCount(id) {
    return this.series.find(s => s.id === id)?.points.length ?? 0;
  }

  render() {
    const width = Math.round(this.container.clientWidth);
    if (width <= 0) return;
    const plotW = Math.max(10, width - MARGIN.left - MARGIN.right);
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    this.svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
    this.svg.setAttribute('width', width);
    this.svg.setAttribute('aria-label', this.describe());
    for (const s of this.series) this.container.dataset[`count${s.id[0].toUpperCase()}${s.id.slice(1)}`] = String(s.points.length);

    const finite = s => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const all = this.series.map(s => ({ s, points: finite(s) }));
    const anyPoints = all.some(a => a.points.length > 0);
    const children = [];

    if (!anyPoints) {
      children.push(svg('text', { x: MARGIN.left + plotW / 2, y: MARGIN.top + plotH / 2, 'text-anchor': 'middle', class: 'empty-text' },
        this.container.dataset.emptyText || 'No data yet'));
      this.svg.replaceChildren(...children);
      return;
    }

    // Ranges.
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const { s, points } of all) {
      for (const [x] of points) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); }
      const ys = points.map(p => p[1]);
      if (ys.length === 0) continue;
      if (s.robust && ys.length > 20) {
        const sorted = [...ys].sort((a, b) => a - b);
        y0 = Math.min(y0, quantile(sorted, 0.05));
        y1 = Math.max(y1, quantile(sorted, 0.95));
      } else {
        y0 = Math.min(y0, ...ys);
        y1 = Math.max(y1, ...ys);
      }
    }
    if (this.xDomain) {
      [x0, x1] = this.xDomain;
    } else {
      // Room for the end markers.
      const xPad = x1 > x0 ? (x1 - x0) * 0.03 : 0;
      x0 -= xPad; x1 += xPad;
    }
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    if (y0 === y1) { y0 -= 1; y1 += 1; }
    const yPad = (y1 - y0) * 0.06;
    y0 -= yPad; y1 += yPad;
    const yStep = niceStep(y0, y1, 5);
    y0 = Math.floor(y0 / yStep) * yStep;
    y1 = Math.ceil(y1 / yStep) * yStep;
    let xStep = niceStep(x0, x1, Math.max(2, Math.floor(plotW / 70)));
    if (this.integerX) xStep = Math.max(1, Math.round(xStep));

    const sx = x => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
    const sy = y => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;

    // Grid and axes.
    const grid = svg('g', { class: 'grid' });
    const axis = svg('g', { class: 'axis' });
    for (const t of ticks(y0, y1, yStep)) {
      const y = sy(t).toFixed(1);
      grid.append(svg('line', { class: 'gridline', x1: MARGIN.left, x2: MARGIN.left + plotW, y1: y, y2: y }));
      axis.append(svg('text', { x: MARGIN.left - 6, y, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, formatTick(t, yStep)));
    }
    const xTicks = this.xTicks ?? ticks(x0, x1, xStep).map(t => ({ value: t, label: formatTick(t, xStep) }));
    for (const { value, label } of xTicks) {
      const x = sx(value).toFixed(1);
      axis.append(svg('line', { x1: x, x2: x, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH + 4 }));
      axis.append(svg('text', { x, y: MARGIN.top + plotH + 16, 'text-anchor': 'middle' }, label));
    }
    axis.append(svg('line', { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH }));
    axis.append(svg('line', { x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + plotH }));
    if (this.xLabel) axis.append(svg('text', { x: MARGIN.left + plotW / 2, y: HEIGHT - 4, 'text-anchor': 'middle' }, this.xLabel));
    if (this.yLabel) {
      axis.append(svg('text', { x: 12, y: MARGIN.top + plotH / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${MARGIN.top + plotH / 2})` }, this.yLabel));
    }
    children.push(grid, axis);

    const clip = svg('clipPath', { id: this.clipId },
      svg('rect', { x: MARGIN.left, y: MARGIN.top - 4, width: plotW + 4, height: plotH + 8 }));
    children.push(svg('defs', {}, clip));

    const layer = svg('g', { 'clip-path': `url(#${this.clipId})` });
    for (const { s, points } of all) {
      let d = '';
      for (const [x, y] of points) d += `${d ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      const path = svg('path', {
        d, class: `series ${s.className}${s.thin ? ' thin' : ''}`, 'data-series': s.id, 'data-count': s.points.length,
      });
      layer.append(path);
      if (s.markers && points.length <= 60) {
        for (const [x, y] of points) {
          layer.append(svg('circle', { cx: sx(x).toFixed(1), cy: sy(y).toFixed(1), r: 3.5, class: `marker ${s.className}` }));
        }
      }
    }
    children.push(layer);
    this.svg.replaceChildren(...children);
  }

  describe() {
    const parts = this.series.filter(s => s.points.length > 0).map(s => {
      const last = s.points[s.points.length - 1];
      return `${s.label}: ${s.points.length} points, last ${Number.isFinite(last[1]) ? last[1].toFixed(1) : 'not a number'}`;
    });
    return parts.length ? `${this.title}. ${parts.join('; ')}.` : `${this.title}: no data yet.`;
  }
}
