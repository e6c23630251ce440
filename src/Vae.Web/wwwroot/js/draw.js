// A canvas to draw digits on with mouse, pen or finger (Pointer Events): white ink on black, as
// MNIST's digits are, with a stroke about as thick relative to the canvas as theirs.

// Example digits as strokes in unit coordinates, for visitors without a pointer (and for demos).
const EXAMPLES = [
  { digit: 7, strokes: [[[0.28, 0.24], [0.72, 0.24], [0.62, 0.42], [0.5, 0.62], [0.42, 0.8]]] },
  { digit: 0, strokes: [ellipse(0.5, 0.5, 0.2, 0.3, 28)] },
  { digit: 1, strokes: [[[0.42, 0.3], [0.54, 0.2], [0.54, 0.8]]] },
  { digit: 3, strokes: [[[0.32, 0.26], [0.46, 0.2], [0.62, 0.24], [0.66, 0.34], [0.58, 0.46], [0.46, 0.5],
    [0.6, 0.54], [0.68, 0.66], [0.62, 0.78], [0.46, 0.82], [0.3, 0.76]]] },
  { digit: 2, strokes: [[[0.3, 0.32], [0.38, 0.22], [0.52, 0.18], [0.64, 0.24], [0.68, 0.36], [0.6, 0.5],
    [0.46, 0.64], [0.3, 0.8], [0.7, 0.8]]] },
];

function ellipse(cx, cy, rx, ry, segments) {
  const points = [];
  for (let i = 0; i <= segments; i++) {
    const a = (i / segments) * Math.PI * 2;
    points.push([cx + rx * Math.sin(a), cy - ry * Math.cos(a)]);
  }
  return points;
}

export class SketchPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ onStroke?: () => void, onEnd?: () => void, lineWidth?: number }} options
   *   onStroke: called as ink is added (callers throttle it); onEnd: when a stroke finishes or the pad changes otherwise.
   */
  constructor(canvas, { onStroke = () => {}, onEnd = () => {}, lineWidth } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onStroke = onStroke;
    this.onEnd = onEnd;
    this.lineWidth = lineWidth ?? canvas.width / 14;
    this.pointerId = null;
    this.last = null;
    this.empty = true;
    this.loaded = null;
    this.exampleIndex = 0;
    this.clear(false);

    canvas.addEventListener('pointerdown', e => this.down(e));
    canvas.addEventListener('pointermove', e => this.move(e));
    canvas.addEventListener('pointerup', e => this.up(e));
    canvas.addEventListener('pointercancel', e => this.up(e));
    // A touch on the canvas draws; it must not scroll or zoom the page.
    canvas.addEventListener('touchstart', e => e.preventDefault(), { passive: false });
  }

  get isEmpty() {
    return this.empty;
  }

  clear(notify = true) {
    const { ctx, canvas } = this;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.restore();
    this.empty = true;
    this.loaded = null;
    if (notify) this.onEnd();
  }

  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    return [
      ((e.clientX - rect.left) / rect.width) * this.canvas.width,
      ((e.clientY - rect.top) / rect.height) * this.canvas.height,
    ];
  }

  down(e) {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    if (this.pointerId !== null) return;
    e.preventDefault();
    this.pointerId = e.pointerId;
    this.canvas.setPointerCapture?.(e.pointerId);
    this.last = this.point(e);
    this.segment(this.last, this.last);
    this.onStroke();
  }

  move(e) {
    if (e.pointerId !== this.pointerId) return;
    e.preventDefault();
    const events = e.getCoalescedEvents?.() ?? [];
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev);
      this.segment(this.last, p);
      this.last = p;
    }
    this.onStroke();
  }

  up(e) {
    if (e.pointerId !== this.pointerId) return;
    this.pointerId = null;
    this.last = null;
    this.onEnd();
  }

  segment(from, to) {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.lineWidth;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
    this.empty = false;
    // Ink on a loaded image: what is sent is now the drawing, not the file.
    this.loaded = null;
  }

  /** Replaces the drawing with one of the example digits; returns the digit drawn. */
  drawExample() {
    const example = EXAMPLES[this.exampleIndex++ % EXAMPLES.length];
    this.clear(false);
    const { width, height } = this.canvas;
    for (const stroke of example.strokes) {
      for (let i = 1; i < stroke.length; i++) {
        this.segment([stroke[i - 1][0] * width, stroke[i - 1][1] * height], [stroke[i][0] * width, stroke[i][1] * height]);
      }
    }
    this.onEnd();
    return example.digit;
  }

  /**
   * Lets a file input put images on the pad: each chosen file is shown on the pad, scaled to fill
   * it, and kept as it is: until the visitor draws on it, the file itself is what is sent, so the
   * service reads it (its format, EXIF orientation, colour and size) rather than the browser's
   * rendering of it. A file the browser cannot show is still sent; the service then says what is
   * wrong with it, which onLoaded's caller shows in `error`.
   */
  acceptFiles(input, error, onLoaded) {
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      input.value = '';
      if (!file) return;
      error.textContent = '';
      try {
        const bitmap = await createImageBitmap(file);
        this.drawImage(bitmap);
        bitmap.close?.();
      } catch {
        this.clear(false);
        this.empty = false;
      }
      this.loaded = { file, base64: await base64Of(file) };
      onLoaded();
    });
  }

  /** Copies another pad: its pixels, and the file it holds when one was loaded (which is then what is sent). */
  copyFrom(pad) {
    this.drawImage(pad.canvas);
    this.loaded = pad.loaded;
  }

  /** Copies an image (or part of one) onto the pad, scaled to fill it; what is sent is then the pad's pixels. */
  drawImage(source, sx, sy, sw, sh) {
    this.clear(false);
    const { ctx, canvas } = this;
    ctx.imageSmoothingEnabled = true;
    if (sw !== undefined) ctx.drawImage(source, sx, sy, sw, sh, 0, 0, canvas.width, canvas.height);
    else ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    this.empty = false;
  }

  /**
   * Shows decoded pixel values in [0, 1]: gray (one value a pixel) or colour (three planes, red,
   * green, blue, each row-major, as the engine lays images out).
   */
  drawPixels(pixels, width, height, channels = 1) {
    const small = document.createElement('canvas');
    small.width = width;
    small.height = height;
    const smallCtx = small.getContext('2d');
    const data = smallCtx.createImageData(width, height);
    const plane = width * height;
    const byte = v => Math.max(0, Math.min(255, Math.round(v * 255)));
    for (let i = 0; i < plane; i++) {
      data.data[i * 4] = byte(pixels[i]);
      data.data[i * 4 + 1] = byte(pixels[channels === 3 ? plane + i : i]);
      data.data[i * 4 + 2] = byte(pixels[channels === 3 ? 2 * plane + i : i]);
      data.data[i * 4 + 3] = 255;
    }
    smallCtx.putImageData(data, 0, 0);
    this.drawImage(small);
  }

  /**
   * What to send to a model: the loaded file as it is, or the drawing as a PNG of the whole pad.
   * The service fits either to the model (scaled with its resampler, centred like MNIST's digits
   * for digit models), so nothing is scaled here.
   */
  toBlob() {
    if (this.loaded) return Promise.resolve(this.loaded.file);
    return new Promise((resolve, reject) => {
      this.canvas.toBlob(blob => (blob ? resolve(blob) : reject(new Error('The drawing could not be turned into a PNG.'))), 'image/png');
    });
  }

  /** The same as base64 bytes (no data: prefix), as JSON requests want an image. */
  toBase64() {
    if (this.loaded) return this.loaded.base64;
    const url = this.canvas.toDataURL('image/png');
    return url.slice(url.indexOf(',') + 1);
  }
}

/** A file's bytes as base64 (no data: prefix). */
function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(',') + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
