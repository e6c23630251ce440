// Jobs: every training job with its status, progress, duration and final losses, refreshed every
// couple of seconds while any job is queued or running.

import { api } from './api.js';
import { isActive } from './train.js';
import { $, clearError, el, formatDuration, formatNumber, showError } from './util.js';

const ACTIVE_REFRESH_MS = 2000;
const IDLE_REFRESH_MS = 30000;
const RETRY_MS = 10000;

export class JobsSection {
  /**
   * @param {{ onWatch?: (job) => void, onUseModel?: (modelId: string) => void, onSucceeded?: (job) => void }} options
   *   onSucceeded: a job seen active before has now succeeded (its model is new).
   */
  constructor(section, { onWatch = () => {}, onUseModel = () => {}, onSucceeded = () => {} } = {}) {
    this.body = $('#jobs-body', section);
    this.error = $('#jobs-error', section);
    this.onWatch = onWatch;
    this.onUseModel = onUseModel;
    this.onSucceeded = onSucceeded;
    this.timer = 0;
    this.loading = false;
    this.seen = new Map();
    this.jobs = [];
    $('#jobs-refresh', section).addEventListener('click', () => this.refresh());
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.refresh();
    });
  }

  get active() {
    return this.jobs.filter(isActive);
  }

  async refresh() {
    clearTimeout(this.timer);
    if (this.loading) return;
    this.loading = true;
    let delay = IDLE_REFRESH_MS;
    try {
      const jobs = await api.jobs();
      this.jobs = jobs;
      this.render(jobs);
      this.notice(jobs);
      clearError(this.error);
      if (jobs.some(isActive)) delay = ACTIVE_REFRESH_MS;
    } catch (error) {
      showError(this.error, error);
      delay = RETRY_MS;
    } finally {
      this.loading = false;
    }
    // A hidden tab does not poll; it catches up when shown again.
    if (!document.hidden) this.timer = setTimeout(() => this.refresh(), delay);
  }

  notice(jobs) {
    for (const job of jobs) {
      const before = this.seen.get(job.id);
      if (before && before !== 'succeeded' && job.status === 'succeeded') this.onSucceeded(job);
      this.seen.set(job.id, job.status);
    }
  }

  render(jobs) {
    if (jobs.length === 0) {
      this.body.replaceChildren(el('tr', {}, el('td', { colSpan: 7, className: 'empty' }, 'No jobs yet. Start one in “Train a model”.')));
      return;
    }
    this.body.replaceChildren(...jobs.map(job => this.row(job)));
  }

  row(job) {
    const m = job.request?.model ?? {};
    const total = job.totalEpochs ?? job.request?.epochs ?? 0;
    const done = job.currentEpoch ?? 0;
    const last = (job.epochs ?? [])[(job.epochs ?? []).length - 1];
    // While running, the bar moves batch by batch; the record's progress says how far.
    const fraction = job.status === 'succeeded' ? 1 : (job.progress?.fraction ?? done / Math.max(1, total));
    const progress = el('progress', { max: 1, value: fraction });
    progress.setAttribute('aria-label', `${done} of ${total} epochs`);
    const left = isActive(job) && Number.isFinite(job.progress?.secondsLeft) ? `about ${formatDuration(job.progress.secondsLeft)} left` : null;
    const kind = String(m.kind ?? 'vae').toLowerCase() === 'ae' ? 'AE' : 'VAE';

    // One wrapper, so the buttons stay together when the row is stacked on a phone.
    const buttons = el('span', { className: 'button-group' });
    const actions = el('td', { className: 'actions', dataset: { label: 'Actions' } }, buttons);
    if (isActive(job)) {
      buttons.append(el('button', {
        type: 'button', className: 'small danger', disabled: job.cancelRequested,
        onclick: e => this.cancel(job, e.currentTarget),
        attrs: { 'aria-label': `Cancel job ${job.name || job.id}` },
      }, job.cancelRequested ? 'Cancelling…' : 'Cancel'));
    }
    if (job.status === 'failed' || job.status === 'cancelled') {
      // It continues from the checkpoint it kept (its last epoch's; a full disk keeps the one before), else from the start.
      buttons.append(el('button', {
        type: 'button', className: 'small', onclick: e => this.resume(job, e.currentTarget),
        attrs: { 'aria-label': `Resume job ${job.name || job.id}` },
      }, 'Resume'));
    }
    buttons.append(el('button', {
      type: 'button', className: 'small', onclick: () => this.onWatch(job),
      attrs: { 'aria-label': `Show the loss of job ${job.name || job.id}` },
    }, isActive(job) ? 'Watch' : 'Chart'));
    if (job.status === 'succeeded' && job.modelId) {
      buttons.append(el('button', {
        type: 'button', className: 'small', onclick: () => this.onUseModel(job.modelId),
        attrs: { 'aria-label': `Use the model of job ${job.name || job.id}` },
      }, 'Use model'));
    }

    return el('tr', { dataset: { jobId: job.id, status: job.status } },
      el('td', { dataset: { label: 'Job' } },
        el('span', {}, job.name || 'unnamed',
          el('span', { className: 'sub' }, `${job.id} · ${new Date(job.createdAt).toLocaleString()}`))),
      el('td', { dataset: { label: 'Model' } },
        el('span', {}, `${job.family ?? m.family ?? ''} ${kind}${m.conditional ? ', conditional' : ''}, latent ${m.latentDim ?? '?'}`,
          el('span', { className: 'sub' }, `${job.dataset} · ${m.likelihood ?? ''}${kind === 'VAE' ? ` · β ${m.beta ?? 1}` : ''}`))),
      el('td', { dataset: { label: 'Status' } },
        el('span', {},
          el('span', { className: `status status-${job.status}` }, job.status),
          job.error ? el('span', { className: 'sub' }, job.error) : null,
          job.waiting ? el('span', { className: 'sub' }, `waiting: ${job.waiting}`) : null,
          job.device ? el('span', { className: 'sub' }, `on ${job.device}`) : null)),
      el('td', { className: 'num', dataset: { label: 'Progress' } },
        el('span', {}, `epoch ${done}/${total}`, progress, left ? el('span', { className: 'sub' }, left) : null)),
      el('td', { className: 'num', dataset: { label: 'Duration' } }, formatDuration(job.durationSeconds)),
      el('td', { className: 'num', dataset: { label: 'Final loss' } },
        last ? `${formatNumber(last.train?.loss)} / ${formatNumber(last.test?.loss)}` : '–'),
      actions);
  }

  async resume(job, button) {
    button.disabled = true;
    try {
      await api.resumeJob(job.id);
      clearError(this.error);
    } catch (error) {
      showError(this.error, error);
    }
    this.refresh();
  }

  async cancel(job, button) {
    button.disabled = true;
    try {
      await api.cancelJob(job.id);
      clearError(this.error);
    } catch (error) {
      showError(this.error, error);
    }
    this.refresh();
  }
}
