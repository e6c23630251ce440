// Jobs: the training jobs ten at a time, newest first, with their status, progress, duration and final
// losses; the page shown is refreshed every couple of seconds while any job on it is queued or running.

import { api } from './api.js';
import { modelName, shortId } from './model.js';
import { isActive } from './train.js';
import { $, clearError, el, formatDuration, formatNumber, showError } from './util.js';

const ACTIVE_REFRESH_MS = 2000;
const IDLE_REFRESH_MS = 30000;
const RETRY_MS = 10000;
export const JOBS_PER_PAGE = 10;
// A service that does not page answers this many jobs at most, and the page pages them itself.
const UNPAGED_LIMIT = 500;

export class JobsSection {
  /**
   * @param {{ onWatch?: (job) => void, onUseModel?: (modelId: string) => void, onSucceeded?: (job) => void }} options
   *   onSucceeded: a job seen active before has now succeeded (its model is new).
   */
  constructor(section, { onWatch = () => {}, onUseModel = () => {}, onSucceeded = () => {} } = {}) {
    this.body = $('#jobs-body', section);
    this.error = $('#jobs-error', section);
    this.pager = $('#jobs-pager', section);
    this.prev = $('#jobs-prev', section);
    this.next = $('#jobs-next', section);
    this.pageLabel = $('#jobs-page', section);
    this.onWatch = onWatch;
    this.onUseModel = onUseModel;
    this.onSucceeded = onSucceeded;
    this.timer = 0;
    this.loading = false;
    this.again = false;
    this.seen = new Map();
    this.jobs = [];
    this.models = new Map();
    // Page k starts at cursors[k] (the service's cursor, or null for the newest); pages are counted from 0.
    this.page = 0;
    this.cursors = [null];
    this.hasNext = false;
    // Whether the service pages: unknown until its first answer.
    this.servicePages = undefined;
    $('#jobs-refresh', section).addEventListener('click', () => this.refresh());
    this.prev.addEventListener('click', () => this.turn(-1));
    this.next.addEventListener('click', () => this.turn(1));
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.refresh();
    });
  }

  /** The active jobs of the page shown. */
  get active() {
    return this.jobs.filter(isActive);
  }

  /** The models by id, so a job's model is called what every other section calls it. */
  setModels(models) {
    this.models = new Map(models.map(m => [m.id, m]));
    if (this.jobs.length) this.render(this.jobs);
  }

  /** Back to the first page, where a job just started shows. */
  showNewest() {
    this.page = 0;
    this.cursors = [null];
    this.refresh();
  }

  turn(step) {
    const page = this.page + step;
    if (page < 0 || (step > 0 && !this.hasNext)) return;
    this.page = page;
    this.refresh();
  }

  async refresh() {
    clearTimeout(this.timer);
    if (this.loading) {
      // A page turned or a refresh asked for while one is out: read again once it is in.
      this.again = true;
      return;
    }
    this.loading = true;
    let delay = IDLE_REFRESH_MS;
    try {
      const jobs = await this.readPage();
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
    if (this.again) {
      this.again = false;
      this.refresh();
      return;
    }
    // A hidden tab does not poll; it catches up when shown again.
    if (!document.hidden) this.timer = setTimeout(() => this.refresh(), delay);
  }

  /** The jobs of the page shown, from the service's pages when it has them, else cut from its whole list. */
  async readPage() {
    if (this.servicePages !== false) {
      const answer = await api.jobs({ limit: JOBS_PER_PAGE, cursor: this.cursors[this.page] ?? undefined });
      // Once the service is known to page, an answer without a cursor is its last page.
      if (answer.paged || this.servicePages === true) {
        this.servicePages = true;
        if (answer.jobs.length === 0 && this.page > 0) return this.restart();
        this.cursors[this.page + 1] = answer.nextCursor;
        this.hasNext = answer.nextCursor !== null && answer.nextCursor !== undefined && answer.nextCursor !== '';
        this.showPager(answer.jobs.length);
        return answer.jobs.slice(0, JOBS_PER_PAGE);
      }
      this.servicePages = false;
    }
    const { jobs: all } = await api.jobs({ limit: UNPAGED_LIMIT });
    // Jobs may have gone since the page was turned: stay within the last page.
    this.page = Math.min(this.page, Math.max(0, Math.ceil(all.length / JOBS_PER_PAGE) - 1));
    const start = this.page * JOBS_PER_PAGE;
    const jobs = all.slice(start, start + JOBS_PER_PAGE);
    this.hasNext = start + JOBS_PER_PAGE < all.length;
    this.showPager(jobs.length, all.length);
    return jobs;
  }

  /** Back to the newest jobs, when the page shown has emptied. */
  async restart() {
    this.page = 0;
    this.cursors = [null];
    return this.readPage();
  }

  /** "Jobs 11–20 of 23" between Newer and Older; hidden while every job fits on one page. */
  showPager(count, total) {
    const first = this.page * JOBS_PER_PAGE + 1;
    this.pager.hidden = this.page === 0 && !this.hasNext;
    this.prev.disabled = this.page === 0;
    this.next.disabled = !this.hasNext;
    this.pageLabel.textContent = count === 0 ? '' : `Jobs ${first}–${first + count - 1}${total !== undefined ? ` of ${total}` : ''}`;
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
    // A job that made a model goes by the model's name, as in the picker and the comparison.
    const title = job.modelId ? modelName(this.models.get(job.modelId), job) : (job.name || shortId(job.id));
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
        attrs: { 'aria-label': `Cancel job ${title}` },
      }, job.cancelRequested ? 'Cancelling…' : 'Cancel'));
    }
    if (job.status === 'failed' || job.status === 'cancelled') {
      // It continues from the checkpoint it kept (its last epoch's; a full disk keeps the one before), else from the start.
      buttons.append(el('button', {
        type: 'button', className: 'small', onclick: e => this.resume(job, e.currentTarget),
        attrs: { 'aria-label': `Resume job ${title}` },
      }, 'Resume'));
    }
    // A running job is watched live; an ended one is charted only when it has epochs to chart.
    if (isActive(job) || (job.epochs ?? []).length > 0) {
      buttons.append(el('button', {
        type: 'button', className: 'small', onclick: () => this.onWatch(job),
        attrs: { 'aria-label': `Show the loss of job ${title}` },
      }, isActive(job) ? 'Watch' : 'Chart'));
    }
    if (job.status === 'succeeded' && job.modelId) {
      buttons.append(el('button', {
        type: 'button', className: 'small', onclick: () => this.onUseModel(job.modelId),
        attrs: { 'aria-label': `Use the model of job ${title}` },
      }, 'Use model'));
    }

    return el('tr', { dataset: { jobId: job.id, status: job.status } },
      el('td', { dataset: { label: 'Job' } },
        el('span', {}, title,
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
