// Wires the sections together around the model picker: every section shows the chosen model, and a
// finished training job brings its model into the picker. The address names the model shown
// (?model= takes an id, a name, name@version or an alias), so a view can be linked to.

import { AnomalySection } from './anomaly.js';
import { api } from './api.js';
import { DirectionsSection } from './directions.js';
import { ExploreSection } from './explore.js';
import { Gallery } from './gallery.js';
import { InterpolateSection } from './interpolate.js';
import { JobsSection } from './jobs.js';
import { CompareSection } from './compare.js';
import { findModel, LabelPicker, ModelInfo, modelName, ModelPicker, modelRef } from './model.js';
import { DrawSection } from './reconstruct.js';
import { SweepForm } from './sweepform.js';
import { TrainSection } from './train.js';
import { $, clearError, showError } from './util.js';

const modelError = $('#model-error');
let shownId = null;
// The model the address names, and how it names it: the visitor's own words (an alias, a name) stay
// in the address for as long as they name the model shown.
const linked = { ref: new URLSearchParams(location.search).get('model') || null, id: null };

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
  onStarted: () => jobs.showNewest(),
  onFinished: job => {
    jobs.refresh();
    if (job.status === 'succeeded') loadModels(job.modelId);
  },
});

// A sweep starts from the training form's request; its jobs show up in the jobs table.
new SweepForm($('#sweep-box'), {
  readRequest: () => train.fields.readRequest(),
  onStarted: () => jobs.showNewest(),
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

const picker = new ModelPicker($('#model-select'), { details: $('#model-details'), onChange: model => show(model) });

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
  followInAddress(model);
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

/** Writes the model shown into the address (without a new history entry), unless it already names it. */
function followInAddress(model) {
  if (!model || model.id === linked.id) return;
  // On a first visit without ?model= the default model is shown, and the address stays plain.
  if (linked.id === null && linked.ref === null) {
    linked.id = model.id;
    return;
  }
  linked.ref = modelRef(model);
  linked.id = model.id;
  const url = new URL(location.href);
  url.searchParams.set('model', linked.ref);
  history.replaceState(history.state, '', url);
}

/**
 * The id of the model a link names: among the models listed, else as the service resolves it (it
 * knows names, versions and aliases the list may not show). null, and said, when nothing matches.
 */
async function resolveLink(models, ref) {
  const listed = findModel(models, ref);
  if (listed) return listed.id;
  try {
    const model = await api.model(ref);
    if (models.some(m => m.id === model.id)) return model.id;
  } catch {
    // Said below, with the model shown instead.
  }
  return null;
}

/**
 * Reads the model list; selects `preferId` when given, else the model the address names on the first
 * read, else keeps the current model (or the default). Says whether it could.
 */
async function loadModels(preferId) {
  try {
    const models = await api.models();
    let missing = null;
    if (preferId === undefined && shownId === null && linked.ref !== null && linked.id === null) {
      const id = await resolveLink(models, linked.ref);
      if (id) {
        linked.id = id;
        preferId = id;
      } else {
        missing = linked.ref;
      }
    }
    explore.setModels(models);
    compare.setModels(models);
    jobs.setModels(models);
    const chosen = picker.setModels(models, preferId);
    if ((chosen?.id ?? null) !== shownId || shownId === null) show(chosen);
    else explore.refreshCompare();
    if (missing) modelError.textContent = `No model is called “${missing}”${chosen ? `; showing ${modelName(chosen)} instead` : ''}.`;
    else clearError(modelError);
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
