// Sweeps in the comparison: which models belong to which sweep, a caption naming each sweep's grid,
// and for a sweep over one or two fields, test loss and KL plotted against the first field's values,
// one line per value of the second.

import { LineChart } from './charts.js';
import { el } from './util.js';

/** Field names as people write them: "model.beta" reads β. */
const SYMBOLS = { beta: 'β', sigma: 'σ', learningRate: 'learning rate', latentDim: 'latent size' };
const SERIES_CLASSES = 6;

/** The last part of a grid key, or its symbol. */
export function fieldName(key) {
  const last = key.slice(key.lastIndexOf('.') + 1);
  return SYMBOLS[last] ?? last;
}

/** A swept value as text: strings bare, numbers as written, anything else as JSON. */
export function valueText(value) {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** "β ∈ {0.5, 1, 4} × latent size ∈ {2, 16}" */
export function describeGrid(grid) {
  return Object.entries(grid).map(([key, values]) => `${fieldName(key)} ∈ {${values.map(valueText).join(', ')}}`).join(' × ');
}

/** "β = 0.5, latent size = 2": one point's values. */
export function describeValues(values) {
  return Object.entries(values).map(([key, value]) => `${fieldName(key)} = ${valueText(value)}`).join(', ');
}

function sum(a, b) {
  return a == null || b == null ? null : a + b;
}

/** Model id → the sweep that trained it. */
export function sweepsByModel(sweeps) {
  const byModel = new Map();
  for (const sweep of sweeps) for (const point of sweep.points) if (point.modelId) byModel.set(point.modelId, sweep);
  return byModel;
}

/**
 * Where the swept values go on the x axis: numbers at their value (on a log scale when they span
 * more than a factor of 20, as learning rates do), anything else evenly spaced in the order given.
 */
function axisOf(key, values) {
  const numeric = values.every(v => typeof v === 'number' && Number.isFinite(v));
  const min = Math.min(...values), max = Math.max(...values);
  const log = numeric && min > 0 && max / min >= 20;
  const position = numeric ? (log ? v => Math.log10(v) : v => v) : v => values.findIndex(w => JSON.stringify(w) === JSON.stringify(v));
  const xs = values.map(position);
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const pad = hi > lo ? (hi - lo) * 0.08 : 0.5;
  return {
    position,
    label: `${fieldName(key)}${log ? ' (log scale)' : ''}`,
    domain: [lo - pad, hi + pad],
    ticks: values.map(v => ({ value: position(v), label: valueText(v) })),
  };
}

/**
 * One figure per sweep of one or two fields with finished points: test loss and KL per image
 * against the first field. Charts are kept between renders, so a refresh redraws rather than rebuilds.
 */
export class SweepPlots {
  constructor(container) {
    this.container = container;
    this.figures = new Map();
  }

  /** Shows the plots of these sweeps, in this order; figures of other sweeps go. */
  show(sweeps) {
    const plotted = sweeps.filter(s => {
      const keys = Object.keys(s.grid);
      return keys.length >= 1 && keys.length <= 2 && s.points.some(p => p.status === 'succeeded' && p.metrics);
    });
    for (const [id, figure] of this.figures) {
      if (plotted.some(s => s.id === id)) continue;
      figure.charts.forEach(c => c.observer.disconnect());
      this.figures.delete(id);
    }
    this.container.replaceChildren(...plotted.map(s => this.figure(s)));
    this.container.hidden = plotted.length === 0;
  }

  figure(sweep) {
    let figure = this.figures.get(sweep.id);
    if (!figure) {
      const loss = el('div', { className: 'chart', dataset: { metric: 'loss', emptyText: 'No finished points yet' } });
      const kl = el('div', { className: 'chart', dataset: { metric: 'kl', emptyText: 'No KL: plain autoencoders have none' } });
      const caption = el('figcaption');
      // The measure is named above each chart rather than along its axis, where long tick labels would cover it.
      const node = el('figure', { className: 'sweep-plot', dataset: { sweepId: sweep.id } },
        caption,
        el('div', { className: 'sweep-charts' },
          el('div', {}, el('p', { className: 'chart-title' }, 'Test loss (−ELBO), nats per image'), loss),
          el('div', {}, el('p', { className: 'chart-title' }, 'KL to the prior, nats per image'), kl)));
      figure = {
        node, caption,
        charts: [
          new LineChart(loss, { title: 'Test loss' }),
          new LineChart(kl, { title: 'KL to the prior' }),
        ],
      };
      this.figures.set(sweep.id, figure);
    }
    this.update(figure, sweep);
    return figure.node;
  }

  update(figure, sweep) {
    const [xKey, lineKey] = Object.keys(sweep.grid);
    const axis = axisOf(xKey, sweep.grid[xKey]);
    const lines = lineKey ? sweep.grid[lineKey] : [undefined];
    const done = sweep.points.filter(p => p.status === 'succeeded' && p.metrics);
    // The test loss is the −ELBO, whatever β weighted the KL with in training, so points of a β sweep
    // compare fairly: the evaluation's when every point has one (the number the table shows), else
    // reconstruction plus KL of the last epoch's test pass.
    const evaluated = done.every(p => p.metrics.elbo != null);
    const lossOf = p => evaluated ? -p.metrics.elbo : sum(p.metrics.test?.reconstruction, p.metrics.test?.kl ?? 0);
    figure.caption.replaceChildren(
      el('strong', {}, sweep.name || `Sweep ${sweep.id}`), ` · ${describeGrid(sweep.grid)} · `,
      `${done.length} of ${sweep.points.length} points done.`);
    const seriesOf = metric => lines.map((line, j) => ({
      id: `s${j}`,
      label: lineKey ? `${fieldName(lineKey)} = ${valueText(line)}` : (metric === 'loss' ? 'test loss' : 'KL'),
      className: `series-${(j % SERIES_CLASSES) + 1}`,
      markers: true,
      points: done
        .filter(p => !lineKey || JSON.stringify(p.values[lineKey]) === JSON.stringify(line))
        .map(p => [axis.position(p.values[xKey]), metric === 'loss' ? lossOf(p) : p.metrics.test?.kl])
        .filter(([, y]) => y !== null && y !== undefined)
        .sort((a, b) => a[0] - b[0]),
    }));
    figure.charts.forEach((chart, i) => {
      chart.xLabel = axis.label;
      chart.setXDomain(axis.domain);
      chart.setXTicks(axis.ticks);
      chart.setSeries(seriesOf(i === 0 ? 'loss' : 'kl'));
    });
  }
}
