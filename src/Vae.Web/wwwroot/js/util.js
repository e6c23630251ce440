// Small helpers shared by the sections: DOM building, error display, request pacing, images.

import { isAbort } from './api.js';

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** Builds an element: el('td', { className: 'num', dataset: { label: 'x' } }, 'text', child). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) node.setAttribute(a, v);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function messageOf(error) {
  if (!error) return '';
  if (error.name === 'ApiError') return error.message;
  if (error instanceof TypeError) return 'Could not reach the service (network error). Check that it is running, then retry.';
  return error.message || String(error);
}

/** Shows an error in a section's alert; cancelled requests are not errors and show nothing. */
export function showError(target, error) {
  if (isAbort(error)) return;
  target.textContent = messageOf(error);
}

export function clearError(target) {
  target.textContent = '';
}

/**
 * Runs an async task at most once at a time; triggers that arrive meanwhile fold into one more run
 * afterwards, so a burst of input (drawing, hovering) sends a steady trickle of requests that always
 * ends with the latest state.
 */
export function coalesce(task) {
  let running = false;
  let again = false;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = false;
    }
  };
  return run;
}

/** Calls fn at most every `wait` ms while triggered, and once more at the end of a burst. */
export function throttle(fn, wait) {
  let last = 0;
  let timer = null;
  return (...args) => {
    const now = performance.now();
    const remaining = wait - (now - last);
    clearTimeout(timer);
    if (remaining <= 0) {
      last = now;
      fn(...args);
    } else {
      timer = setTimeout(() => { last = performance.now(); fn(...args); }, remaining);
    }
  };
}

export function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

/**
 * One request at a time per purpose: starting a new one aborts the previous, so a slow answer for
 * an old model or an old setting never overwrites a newer one.
 */
export function latestOnly() {
  let controller = null;
  return () => {
    controller?.abort();
    controller = new AbortController();
    return controller.signal;
  };
}

/** Shows a PNG blob in an <img>, freeing the previous blob once the new one is decoded. */
export async function showBlob(img, blob) {
  const url = URL.createObjectURL(blob);
  const previous = img.dataset.blobUrl;
  img.src = url;
  img.dataset.blobUrl = url;
  try {
    await img.decode();
  } catch {
    // A broken image is reported by the caller's checks; keep going.
  }
  img.hidden = false;
  if (previous) URL.revokeObjectURL(previous);
}

/** A PNG blob as an ImageBitmap-like drawable (an <img> element), for canvases. */
export async function imageFromBlob(blob) {
  const url = URL.createObjectURL(blob);
  const img = new Image();
  img.src = url;
  try {
    await img.decode();
  } finally {
    URL.revokeObjectURL(url);
  }
  return img;
}

export function formatNumber(value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function randomSeed() {
  return Math.floor(Math.random() * 1_000_000);
}

/** A standard normal draw (Box–Muller). */
export function gaussian() {
  let u = 0;
  while (u === 0) u = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

/** Reads a CSS custom property of the document, for drawing on canvases in the page's colours. */
export function cssVar(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/**
 * Calls view.render() on the next animation frame, once however often it is asked before then, so
 * a burst of updates (a stream of batches, pointer moves) costs one drawing.
 */
export function renderOnNextFrame(view) {
  if (view.frame) return;
  view.frame = requestAnimationFrame(() => {
    view.frame = 0;
    view.render();
  });
}
