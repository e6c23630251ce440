// Wires the sections together around the model picker: every section shows the chosen model, and a
// finished training job brings its model into the picker.

import { AnomalySection } from './anomaly.js';
import { api } from './api.js';
import { DirectionsSection } from './directions.js';
import { ExploreSection } from './explore.js';
import { Gallery } from './gallery.js';
import { InterpolateSection } from './interpolate.js';
import { JobsSection } from './jobs.js';
import { CompareSection } from './compare.js';
import { LabelPicker, ModelInfo, ModelPicker } from './model.js';
import { DrawSection } from './reconstruct.js';
import { SweepForm } from './sweepform.js';
import { TrainSection } from './train.js';
import { $, clearError, showError } from './util.js';

const modelError = $('#model-error');
let shownId = null;

const info = new ModelInfo($('#model-section'));
const explore = new ExploreSection($('#explore-section'));
const draw = new DrawSection($('#draw-section'), { onCode: mu => explore.setDrawnCode(mu) });
const interpolate = new InterpolateSection($('#interpolate-section'), { drawPad: draw.pad });
const anomaly = new AnomalySection($('#anomaly-section'), { drawPad: draw.pad });
const directions = new DirectionsSection($('#directions-section'), { drawPad: draw.pad });
const gallery = new Gallery($('#samples-section'), {
  onPick: (image, x, y, size) => interpolate.pick(image, x, y, size),
});

const train = new TrainSection($('#train-section'), {
  onStarted: () => jobs.refresh(),
  onFinished: job => {
    jobs.refresh();
    if (job.status === 'succeeded') loadModels(job.modelId);
  },
});

// A sweep starts from the training form's request; its jobs show up in the jobs table.
new SweepForm($('#sweep-box'), {
  readRequest: () => train.fields.readRequest(),
  onStarted: () => jobs.refresh(),
});

const jobs = new JobsSection($('#jobs-section'), {
  onWatch: job => {
    train.follow(job);
    $('#train-live').scrollIntoView({ behavior: 'smooth', block: 'start' });
  },
  onUseModel: async id => {
    if (!(await loadModels(id))) return;
    if (picker.current()?.id === id) window.scrollTo({ top: 0, behavior: 'smooth' });
    else jobs.error.textContent = `Model ${id} is no longer there; it was deleted after its job finished.`;
  },
  onSucceeded: () => loadModels(),
});

const compare = new CompareSection($('#compare-section'), {
  onUseModel: async id => {
    if (await loadModels(id)) window.scrollTo({ top: 0, behavior: 'smooth' });
  },
});

const picker = new ModelPicker($('#model-select'), { onChange: model => show(model) });

// A conditional model draws the class chosen here, in every section.
const labels = new LabelPicker($('#label-picker'), $('#label-select'), {
  onChange: label => {
    gallery.setLabel(label);
    draw.setLabel(label);
    interpolate.setLabel(label);
    explore.setLabel(label);
    anomaly.setLabel(label);
    directions.setLabel(label);
  },
});

function show(model) {
  shownId = model?.id ?? null;
  document.body.dataset.model = shownId ?? '';
  labels.setModel(model);
  const label = labels.value;
  info.show(model);
  gallery.setModel(model, label);
  draw.setModel(model, label);
  interpolate.setModel(model, label);
  explore.setModel(model, label);
  anomaly.setModel(model, label);
  directions.setModel(model, label);
}

/** Reads the model list; selects `preferId` when given, else keeps the current model (or the default). Says whether it could. */
async function loadModels(preferId) {
  try {
    const models = await api.models();
    explore.setModels(models);
    compare.setModels(models);
    const chosen = picker.setModels(models, preferId);
    if ((chosen?.id ?? null) !== shownId || shownId === null) show(chosen);
    else explore.refreshCompare();
    clearError(modelError);
    return true;
  } catch (error) {
    showError(modelError, error);
    return false;
  }
}

async function start() {
  await Promise.all([loadModels(), jobs.refresh()]);
  // A job already under way (such as the first model of a new service) is shown training live.
  const running = jobs.active[0];
  if (running && !train.job) train.follow(running);
  document.documentElement.dataset.ready = 'true';
}

start();
