// Train a model: the form that queues a job (see trainform.js), and the live view of a job (its loss after every
// batch and every epoch, fed by the job's Server-Sent Events) with a cancel button.

import { api, apiKey, setApiKey } from './api.js';
import { LineChart } from './charts.js';
import { TrainForm } from './trainform.js';
import { $, clearError, formatDuration, formatNumber, showError } from './util.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function isActive(job) {
  return job && !FINAL.has(job.status);
}

export class TrainSection {
  /** @param {{ onStarted?: (job) => void, onFinished?: (job) => void }} options */
  constructor(section, { onStarted = () => {}, onFinished = () => {} } = {}) {
    this.form = $('#train-form', section);
    this.submit = $('#train-submit', section);
    this.error = $('#train-error', section);
    this.live = $('#train-live', section);
    this.liveTitle = $('#train-live-title', section);
    this.status = $('#train-status', section);
    this.progress = $('#train-progress', section);
    this.eta = $('#train-eta', section);
    this.cancelButton = $('#train-cancel', section);
    this.liveError = $('#train-live-error', section);
    this.onStarted = onStarted;
    this.onFinished = onFinished;
    this.job = null;
    this.source = null;
    this.pollTimer = 0;
    this.lastBatch = null;
    // Whether the shown job ended while this page was following it (its model was then selected).
    this.endedLive = false;

    this.chartDiv = $('#train-chart', section);
    this.chart = new LineChart(this.chartDiv, { xLabel: 'epoch', yLabel: 'loss (nats)', title: 'Training loss' });
    this.series = {
      batch: { id: 'batch', label: 'each batch (train)', className: 'series-3', thin: true, robust: true, points: [] },
      train: { id: 'train', label: 'epoch mean, train', className: 'series-1', markers: true, points: [] },
      test: { id: 'test', label: 'epoch mean, test', className: 'series-2', markers: true, points: [] },
    };

    const key = $('#api-key', section);
    key.value = apiKey();
    key.addEventListener('change', () => setApiKey(key.value.trim()));

    this.form.addEventListener('submit', e => {
      e.preventDefault();
      this.start();
    });

    this.fields = new TrainForm(this.form, { error: this.error });
    this.fields.load();
    this.cancelButton.addEventListener('click', () => this.cancel());
  }

  async start() {
    clearError(this.error);
    this.fields.clearFields();
    const { request, problems } = this.fields.readRequest();
    if (Object.keys(problems).length) {
      this.fields.showFieldProblems(problems);
      this.error.textContent = Object.entries(problems).map(([f, m]) => `${f} ${m}`).join(' ');
      return;
    }
    this.submit.disabled = true;
    try {
      const job = await api.startJob(request);
      this.follow(job);
      this.onStarted(job);
    } catch (error) {
      showError(this.error, error);
      this.fields.showFieldProblems(error.problem?.errors);
    } finally {
      this.submit.disabled = false;
    }
  }

  /** Shows a job live: its epochs so far, then every batch and epoch as they come. */
  follow(job) {
    this.stopFollowing();
    this.job = job;
    this.lastBatch = null;
    this.endedLive = false;
    this.live.hidden = false;
    clearError(this.liveError);
    this.liveTitle.textContent = `Job ${job.name ? `“${job.name}” ` : ''}(${job.id})`;
    this.live.dataset.jobId = job.id;
    this.series.batch.points = [];
    this.series.train.points = [];
    this.series.test.points = [];
    this.addEpochs(job.epochs ?? []);
    this.updateDomain();
    this.chart.setSeries(Object.values(this.series));
    this.render(job);
    if (!isActive(job)) return;

    const source = new EventSource(api.eventsUrl(job.id));
    this.source = source;
    source.addEventListener('status', e => this.onStatus(parse(e)));
    source.addEventListener('epoch', e => {
      const epoch = parse(e);
      if (epoch) this.addEpochs([epoch]);
      this.chart.schedule();
    });
    source.addEventListener('batch', e => this.onBatch(parse(e)));
    source.addEventListener('open', () => clearError(this.liveError));
    source.addEventListener('error', () => {
      if (source !== this.source) return;
      if (source.readyState === EventSource.CLOSED) {
        this.liveError.textContent = 'The live feed of this job closed; its status is now checked every few seconds.';
        this.source = null;
        this.poll();
      } else {
        this.liveError.textContent = 'The live feed of this job was interrupted; reconnecting…';
      }
    });
  }

  stopFollowing() {
    this.source?.close();
    this.source = null;
    clearTimeout(this.pollTimer);
  }

  /** Without a live feed, the job's record is read every few seconds until it ends. */
  async poll() {
    clearTimeout(this.pollTimer);
    const job = this.job;
    if (!job || !isActive(job)) return;
    try {
      this.onStatus(await api.job(job.id));
    } catch (error) {
      showError(this.liveError, error);
    }
    if (this.job?.id === job.id && isActive(this.job) && !this.source) this.pollTimer = setTimeout(() => this.poll(), 3000);
  }

  addEpochs(epochs) {
    for (const e of epochs) {
      if (!e || this.series.train.points.some(([x]) => x === e.epoch)) continue;
      this.series.train.points.push([e.epoch, e.train?.loss]);
      this.series.test.points.push([e.epoch, e.test?.loss]);
    }
    this.series.train.points.sort((a, b) => a[0] - b[0]);
    this.series.test.points.sort((a, b) => a[0] - b[0]);
    this.updateDomain();
  }

  /**
   * The x axis runs to the end of the epoch under way, not to the last planned one: early in a long
   * job its first batches would otherwise be squeezed into a sliver at the left.
   */
  updateDomain() {
    const total = Math.max(1, this.job?.totalEpochs ?? 1);
    const batches = this.series.batch.points;
    const lastBatch = batches.length ? batches[batches.length - 1][0] : 0;
    const lastEpoch = this.series.train.points.length ? this.series.train.points[this.series.train.points.length - 1][0] : 0;
    const reached = Math.max(lastBatch, lastEpoch);
    this.chart.setXDomain([0, Math.min(total, Math.max(1, Math.ceil(reached - 1e-9)))]);
  }

  onBatch(batch) {
    if (!batch) return;
    const x = batch.epoch - 1 + batch.batch / Math.max(1, batch.batchCount);
    this.series.batch.points.push([x, batch.losses?.loss]);
    this.lastBatch = batch;
    this.updateDomain();
    this.chart.schedule();
    if (this.job?.status === 'queued') this.job = { ...this.job, status: 'running' };
    this.render(this.job);
  }

  onStatus(job) {
    if (!job || job.id !== this.job?.id) return;
    // Answers can cross (the cancel reply may come after the feed's final status): an ended job
    // never goes back to an earlier, active snapshot.
    if (!isActive(this.job) && isActive(job)) return;
    this.job = job;
    this.addEpochs(job.epochs ?? []);
    this.chart.schedule();
    this.render(job);
    if (!isActive(job)) {
      this.stopFollowing();
      clearError(this.liveError);
      this.endedLive = true;
      this.render(job);
      this.onFinished(job);
    }
  }

  render(job) {
    const total = Math.max(1, job.totalEpochs ?? 1);
    // The live feed's last batch is the freshest news; the record's progress stands in before it comes.
    const batch = this.lastBatch;
    const progress = job.progress;
    const evaluating = job.status === 'running' && progress?.phase === 'evaluating';
    const done = job.status === 'running' && batch
      ? (batch.epoch - 1 + batch.batch / Math.max(1, batch.batchCount)) / total
      : progress?.fraction ?? (job.currentEpoch ?? 0) / total;
    this.progress.value = job.status === 'succeeded' || evaluating ? 1 : Math.min(1, done);
    this.live.dataset.status = job.status;
    this.cancelButton.disabled = !isActive(job) || job.cancelRequested;
    this.cancelButton.hidden = !isActive(job);

    const secondsLeft = batch?.secondsLeft ?? progress?.secondsLeft;
    const speed = batch?.imagesPerSecond ?? progress?.imagesPerSecond;
    this.eta.textContent = job.status === 'running' && Number.isFinite(secondsLeft)
      ? `about ${formatDuration(secondsLeft)} left${Number.isFinite(speed) ? ` · ${Math.round(speed).toLocaleString()} images/s` : ''}`
      : '';
    this.eta.dataset.secondsLeft = Number.isFinite(secondsLeft) ? String(secondsLeft) : '';

    let text;
    switch (job.status) {
      case 'queued':
        text = 'Queued: it starts when a trainer is free.';
        break;
      case 'running':
        if (evaluating) text = 'Evaluating: training is done; the model is being measured on test images.';
        else if (batch) text = `Running: epoch ${batch.epoch} of ${total}, batch ${batch.batch} of ${batch.batchCount}; last batch loss ${formatNumber(batch.losses?.loss)} nats.`;
        else if (progress) text = `Running: epoch ${progress.epoch} of ${total}, batch ${progress.batch} of ${progress.batchCount}.`;
        else text = `Running: ${job.currentEpoch ?? 0} of ${total} epochs done.`;
        if (job.cancelRequested) text = `Cancelling: it stops after the current batch. ${text}`;
        break;
      case 'succeeded':
        text = `Succeeded in ${formatDuration(job.durationSeconds)}: it made model ${job.modelId}`
          + (this.endedLive ? ', now selected at the top of the page.' : '.');
        break;
      case 'failed':
        text = `Failed: ${job.error || 'the service gave no reason.'}`;
        break;
      case 'cancelled':
        text = `Cancelled after ${job.currentEpoch ?? 0} of ${total} epochs.`;
        break;
      default:
        text = `Status: ${job.status}.`;
    }
    this.status.textContent = text;
  }

  async cancel() {
    const job = this.job;
    if (!job) return;
    this.cancelButton.disabled = true;
    try {
      const updated = await api.cancelJob(job.id);
      // A queued job is cancelled at once and its feed may already be closed: take the answer as the news.
      if (this.job?.id === job.id) {
        this.onStatus(updated);
        // Without a live feed, nothing else would bring the final status.
        if (isActive(this.job) && !this.source) this.poll();
      }
      clearError(this.liveError);
    } catch (error) {
      showError(this.liveError, error);
      this.cancelButton.disabled = false;
    }
  }
}

function parse(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return null;
  }
}
