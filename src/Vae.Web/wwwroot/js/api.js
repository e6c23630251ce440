// The service's HTTP API. Every failure becomes an ApiError whose message can be shown as is:
// the ProblemDetails detail when the service answered, a plain sentence when it could not be reached.

const API_KEY_STORAGE = 'vae.apiKey';

export class ApiError extends Error {
  constructor(message, status = 0, problem = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

export function isAbort(error) {
  return error?.name === 'AbortError';
}

export function apiKey() {
  try { return localStorage.getItem(API_KEY_STORAGE) ?? ''; } catch { return ''; }
}

export function setApiKey(value) {
  try {
    if (value) localStorage.setItem(API_KEY_STORAGE, value);
    else localStorage.removeItem(API_KEY_STORAGE);
  } catch { /* storage may be off; the key then lasts for this page only */ }
  sessionKey = value;
}

let sessionKey = apiKey();

async function problemOf(response) {
  const type = response.headers.get('content-type') ?? '';
  let problem = null;
  let text = '';
  try {
    if (type.includes('json')) problem = await response.json();
    else text = (await response.text()).trim();
  } catch { /* an unreadable body still has a status */ }
  const message = problem?.detail || problem?.title
    || (text && text.length < 300 && !text.startsWith('<') ? text : '')
    || `The service answered ${response.status} ${response.statusText || ''}`.trim() + '.';
  return new ApiError(message, response.status, problem);
}

async function request(path, { method = 'GET', json, body, contentType, accept, signal, write = false } = {}) {
  const headers = {};
  if (json !== undefined) {
    body = JSON.stringify(json);
    headers['Content-Type'] = 'application/json';
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  if (accept) headers.Accept = accept;
  if (write && sessionKey) headers['X-Api-Key'] = sessionKey;
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal, cache: 'no-cache' });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError('Could not reach the service (network error). Check that it is running, then retry.');
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

/** The media type to send an image blob with: its own (a loaded file's), else PNG (a drawing). The service reads the bytes either way. */
function imageType(blob) {
  return blob?.type && blob.type.startsWith('image/') ? blob.type : 'image/png';
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    throw new ApiError('The service sent a reply that is not valid JSON.', response.status);
  }
}

async function readBlob(response) {
  try {
    return await response.blob();
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError('The connection broke while the image was arriving. Retry.', response.status);
  }
}

/**
 * The layout of a PNG grid from its X-Grid-* headers, in the PNG's own pixels: tile (column c,
 * row r) starts at x = padding + c * (tileWidth + padding), y = padding + r * (tileHeight + padding).
 * null when the headers are missing.
 */
function gridOf(response) {
  const number = name => Number.parseInt(response.headers.get(`X-Grid-${name}`) ?? '', 10);
  const grid = {
    columns: number('Columns'), rows: number('Rows'), tileWidth: number('Tile-Width'),
    tileHeight: number('Tile-Height'), padding: number('Padding'), scale: number('Scale'),
  };
  return Object.values(grid).every(Number.isFinite) ? grid : null;
}

const enc = encodeURIComponent;

function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** A decode body for a conditional model carries one label per code: each its own, or one for all. */
function withLabels(body, latents, label, labels) {
  if (labels) return { ...body, labels };
  return label === undefined || label === null ? body : { ...body, labels: latents.map(() => label) };
}

export const api = {
  async datasets(signal) {
    const body = await readJson(await request('/api/datasets', { signal }));
    return Array.isArray(body) ? body : (body.datasets ?? []);
  },

  /** One dataset: { id, name, classNames, ... }. */
  async dataset(id, signal) {
    return readJson(await request(`/api/datasets/${enc(id)}`, { signal }));
  },

  /** Uploads a zip of class folders (or IDX files); answers the new dataset. */
  async uploadDataset(file, { name } = {}) {
    const path = `/api/datasets${query({ name })}`;
    return readJson(await request(path, { method: 'POST', body: file, contentType: 'application/zip', write: true }));
  },

  /** The model families and the name of the default one: { families, default }. */
  async families(signal) {
    return readJson(await request('/api/families', { signal }));
  },

  async models(signal) {
    const body = await readJson(await request('/api/models', { signal }));
    // The list comes wrapped ({ models: [...] }); a bare array is accepted too.
    return Array.isArray(body) ? body : (body.models ?? []);
  },

  async model(id, signal) {
    return readJson(await request(`/api/models/${enc(id)}`, { signal }));
  },

  /** A grid of samples: { blob, grid }, grid being the layout the service reports (see gridOf). `label` picks the class a conditional model draws. */
  async samples(id, { n, seed, temperature, columns, scale, label }, signal) {
    const path = `/api/models/${enc(id)}/samples.png${query({ n, seed, temperature, columns, scale, label })}`;
    const response = await request(path, { signal, accept: 'image/png' });
    return { blob: await readBlob(response), grid: gridOf(response) };
  },

  /** Mean (and log-variance) of one image's code; `png` is an image blob (a drawing's PNG, or a loaded PNG, JPEG, WebP or BMP file). */
  async encodePng(id, png, { label } = {}, signal) {
    const response = await request(`/api/models/${enc(id)}/encode${query({ invert: 'false', label })}`, { method: 'POST', body: png, contentType: imageType(png), signal });
    const body = await readJson(response);
    return body.results?.[0] ?? null;
  },

  async reconstructPng(id, png, { scale = 1, label } = {}, signal) {
    const path = `/api/models/${enc(id)}/reconstruct${query({ invert: 'false', scale, label })}`;
    return readBlob(await request(path, { method: 'POST', body: png, contentType: imageType(png), accept: 'image/png', signal }));
  },

  async decodePng(id, latents, { scale = 1, columns, label, labels } = {}, signal) {
    const path = `/api/models/${enc(id)}/decode${query({ scale, columns })}`;
    return readBlob(await request(path, { method: 'POST', json: withLabels({ latents }, latents, label, labels), accept: 'image/png', signal }));
  },

  /** Pixel values of decoded codes: { images: [[...]], channels, height, width }. */
  async decodePixels(id, latents, { label } = {}, signal) {
    const response = await request(`/api/models/${enc(id)}/decode`, { method: 'POST', json: withLabels({ latents }, latents, label), accept: 'application/json', signal });
    return readJson(response);
  },

  async interpolate(id, { from, to, steps, method, label }, signal) {
    const path = `/api/models/${enc(id)}/interpolate${query({ invert: 'false', label })}`;
    return readBlob(await request(path, { method: 'POST', json: { from, to, steps, method }, accept: 'image/png', signal }));
  },

  async manifold(id, { n, range, dims, scale, label }, signal) {
    const path = `/api/models/${enc(id)}/manifold.png${query({ n, range, dims: dims.join(','), scale, label })}`;
    return readBlob(await request(path, { signal, accept: 'image/png' }));
  },

  async latents(id, { split = 'test', limit = 1000 } = {}, signal) {
    return readJson(await request(`/api/models/${enc(id)}/latents${query({ split, limit })}`, { signal }));
  },

  /**
   * How unusual one image (a blob, as for encodePng) is to a model: { scores: [{ negativeElbo, negativeIwae, reconstruction, percentile }],
   * measure, k, distribution }. The first call on a model waits while it scores its test images.
   */
  async scorePng(id, png, { k, label } = {}, signal) {
    const path = `/api/models/${enc(id)}/score${query({ invert: 'false', k, label })}`;
    return readJson(await request(path, { method: 'POST', body: png, contentType: imageType(png), signal }));
  },

  /** The histogram of a model's test-set scores: { bins, counts, min, max, median, images, k, measure }. */
  async scoreHistogram(id, { bins = 40 } = {}, signal) {
    return readJson(await request(`/api/models/${enc(id)}/scores${query({ bins })}`, { signal }));
  },

  async directions(id, signal) {
    const body = await readJson(await request(`/api/models/${enc(id)}/directions`, { signal }));
    return body.directions ?? [];
  },

  /** Computes and stores a direction: { name, from: { label } | { images }, to, limit? }. */
  async createDirection(id, direction, { label } = {}) {
    const path = `/api/models/${enc(id)}/directions${query({ invert: 'false', label })}`;
    return readJson(await request(path, { method: 'POST', json: direction, write: true }));
  },

  async deleteDirection(id, name) {
    await request(`/api/models/${enc(id)}/directions/${enc(name)}`, { method: 'DELETE', write: true });
  },

  /** Decodes an image (`image`: a base64 image file) or a `latent` moved along a stored direction by each amount: a PNG strip { blob, grid }. */
  async edit(id, { image, latent, direction, amounts }, { scale = 1, label } = {}, signal) {
    const path = `/api/models/${enc(id)}/edit${query({ invert: 'false', scale, label })}`;
    const response = await request(path, { method: 'POST', json: { image, latent, direction, amounts }, accept: 'image/png', signal });
    return { blob: await readBlob(response), grid: gridOf(response) };
  },

  /**
   * A page of jobs, newest first: { jobs, nextCursor, paged }. `paged` says whether the service pages
   * (its answer has a nextCursor field, null on the last page); a service that does not answers every
   * job it keeps, and the caller pages them itself.
   */
  async jobs({ limit, cursor } = {}, signal) {
    const body = await readJson(await request(`/api/jobs${query({ limit, cursor })}`, { signal }));
    const jobs = Array.isArray(body) ? body : (body.jobs ?? []);
    const paged = !Array.isArray(body) && body !== null && typeof body === 'object' && 'nextCursor' in body;
    return { jobs, nextCursor: paged ? body.nextCursor ?? null : null, paged };
  },

  async job(id, signal) {
    return readJson(await request(`/api/jobs/${enc(id)}`, { signal }));
  },

  async startJob(trainingRequest) {
    return readJson(await request('/api/jobs', { method: 'POST', json: trainingRequest, write: true }));
  },

  async cancelJob(id) {
    return readJson(await request(`/api/jobs/${enc(id)}`, { method: 'DELETE', write: true }));
  },

  async resumeJob(id) {
    return readJson(await request(`/api/jobs/${enc(id)}/resume`, { method: 'POST', write: true }));
  },

  eventsUrl(id) {
    return `/api/jobs/${enc(id)}/events`;
  },

  async sweeps(signal) {
    const body = await readJson(await request('/api/sweeps', { signal }));
    return body.sweeps ?? [];
  },

  /** Queues one job per combination of the grid's values: { name?, base: trainingRequest, grid: { "model.beta": [...] } }. */
  async startSweep(sweep) {
    return readJson(await request('/api/sweeps', { method: 'POST', json: sweep, write: true }));
  },

  async cancelSweep(id) {
    return readJson(await request(`/api/sweeps/${enc(id)}`, { method: 'DELETE', write: true }));
  },
};
