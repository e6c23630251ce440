// A histogram drawn as SVG at the size it is shown: a model's test-set scores, with a marker where
// one image's score falls. Redrawn when its box changes size.

import { niceStep, ticks } from './charts.js';
import { renderOnNextFrame } from './util.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 200;
const MARGIN = { top: 26, right: 16, bottom: 36, left: 44 };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

export class Histogram {
  constructor(container, { xLabel = '', title = 'Histogram' } = {}) {
    this.container = container;
    this.xLabel = xLabel;
    this.title = title;
    this.data = null;
    this.marker = null;
    this.frame = 0;
    this.svg = svg('svg', { role: 'img', 'aria-label': title, height: HEIGHT });
    container.replaceChildren(this.svg);
    new ResizeObserver(() => renderOnNextFrame(this)).observe(container);
  }

  /** { counts, min, max }: counts in equal bins from min to max; null shows the empty text. */
  setData(data, xLabel = this.xLabel) {
    this.data = data;
    this.xLabel = xLabel;
    renderOnNextFrame(this);
  }

  /** A vertical line at `value` with `label` above it; null removes it. */
  setMarker(value, label = '') {
    this.marker = Number.isFinite(value) ? { value, label } : null;
    this.container.dataset.marker = this.marker ? String(value) : '';
    renderOnNextFrame(this);
  }

  render() {
    const width = Math.round(this.container.clientWidth);
    if (width <= 0) return;
    const plotW = Math.max(10, width - MARGIN.left - MARGIN.right);
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    this.svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
    this.svg.setAttribute('width', width);
    const { data, marker } = this;
    if (!data || !data.counts?.length) {
      this.svg.setAttribute('aria-label', `${this.title}: no data yet.`);
      this.svg.replaceChildren(svg('text', { x: MARGIN.left + plotW / 2, y: MARGIN.top + plotH / 2, 'text-anchor': 'middle', class: 'empty-text' },
        this.container.dataset.emptyText || 'No data yet'));
      return;
    }

    // The x range covers the bars and the marker: an image far out of the test set shows how far.
    const binWidth = (data.max - data.min) / data.counts.length || 1;
    let x0 = data.min, x1 = data.max + (data.max > data.min ? 0 : binWidth);
    if (marker) { x0 = Math.min(x0, marker.value); x1 = Math.max(x1, marker.value); }
    const pad = (x1 - x0) * 0.02;
    x0 -= pad; x1 += pad;
    const top = Math.max(...data.counts);
    const sx = x => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
    const sy = c => MARGIN.top + (1 - c / top) * plotH;

    const children = [];
    const grid = svg('g', { class: 'grid' });
    const axis = svg('g', { class: 'axis' });
    const xStep = niceStep(x0, x1, Math.max(2, Math.floor(plotW / 70)));
    for (const t of ticks(x0, x1, xStep)) {
      const x = sx(t).toFixed(1);
      axis.append(svg('line', { x1: x, x2: x, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH + 4 }));
      axis.append(svg('text', { x, y: MARGIN.top + plotH + 16, 'text-anchor': 'middle' }, Math.round(t)));
    }
    const yStep = Math.max(1, niceStep(0, top, 3));
    for (const t of ticks(0, top, yStep)) {
      const y = sy(t).toFixed(1);
      grid.append(svg('line', { class: 'gridline', x1: MARGIN.left, x2: MARGIN.left + plotW, y1: y, y2: y }));
      axis.append(svg('text', { x: MARGIN.left - 6, y, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, t));
    }
    axis.append(svg('line', { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH }));
    if (this.xLabel) axis.append(svg('text', { x: MARGIN.left + plotW / 2, y: HEIGHT - 4, 'text-anchor': 'middle' }, this.xLabel));
    children.push(grid, axis);

    const bars = svg('g', { class: 'bars' });
    data.counts.forEach((count, i) => {
      if (count === 0) return;
      const left = sx(data.min + i * binWidth), right = sx(data.min + (i + 1) * binWidth);
      bars.append(svg('rect', {
        x: left.toFixed(1), y: sy(count).toFixed(1), width: Math.max(1, right - left - 1).toFixed(1), height: (sy(0) - sy(count)).toFixed(1), class: 'bar',
      }));
    });
    children.push(bars);

    if (marker) {
      const x = sx(marker.value);
      const anchor = x > MARGIN.left + plotW * 0.75 ? 'end' : x < MARGIN.left + plotW * 0.25 ? 'start' : 'middle';
      children.push(svg('g', { class: 'score-marker' },
        svg('line', { x1: x.toFixed(1), x2: x.toFixed(1), y1: MARGIN.top - 4, y2: MARGIN.top + plotH }),
        svg('text', { x: x.toFixed(1), y: MARGIN.top - 10, 'text-anchor': anchor }, marker.label)));
    }
    this.svg.replaceChildren(...children);
    this.svg.setAttribute('aria-label', `${this.title}: ${data.counts.reduce((a, b) => a + b, 0)} test images from ${Math.round(data.min)} to ${Math.round(data.max)}`
      + (marker ? `; ${marker.label}.` : '.'));
  }
}
