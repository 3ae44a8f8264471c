// One viewport: its view state, what it asks the worker to render (through its render
// queue, render-queue.js: a window/level drag on a large image asks for coarse previews)
// and the image canvas, under the measurement layer (layer.js) and the on-image text
// (overlay.js). Pointer and wheel gestures are pointer.js's. Zoom, pan, rotate and flip only
// redraw; they never ask the worker for pixels.
import { applyMatrix, clampFrame, invertMatrix, matrixScale, viewMatrix } from "./interaction.js";
import { drawLayer } from "./layer.js";
import { UNCALIBRATED, measure } from "./measure.js";
import { createTextBoxes, overlayText, paintTextBoxes, writeTextBoxes } from "./overlay.js";
import { attachPointer } from "./pointer.js";
import { RenderQueue } from "./render-queue.js";
import { View3D } from "./view3d.js";

/** @typedef {import("../rpc/protocol.js").FrameInfo} FrameInfo */
/** @typedef {import("./interaction.js").Point} Point */
/** @typedef {import("./interaction.js").Matrix} Matrix */
/** @typedef {import("./measure.js").Measurement} Measurement */
/**
 * What a pane needs from the page that holds it.
 * @typedef {{client: import("../rpc/client.js").Client,
 *            catalog: () => import("../rpc/protocol.js").Catalog,
 *            tool: () => string, showInfo: () => boolean, hidePatient: () => boolean,
 *            showOverlays: () => boolean,
 *            measurements: Measurement[], onActivate: (pane: Pane) => void,
 *            onChange: (pane: Pane) => void, onError: (message: string) => void,
 *            onView?: () => void,
 *            nextId: () => number}} PaneHost
 */

/** @param {string} tag @param {string} [className] */
function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

export class Pane {
  /** @param {HTMLElement} root @param {PaneHost} host @param {number} index */
  constructor(root, host, index) {
    this.host = host;
    this.index = index;
    this.root = root;
    root.classList.add("pane");
    root.tabIndex = -1;
    root.dataset.pane = String(index);
    this.canvas = /** @type {HTMLCanvasElement} */ (el("canvas", "image-layer"));
    this.layer = /** @type {HTMLCanvasElement} */ (el("canvas", "measure-layer"));
    this.text = createTextBoxes();
    this.message = el("div", "pane-message");
    this.message.hidden = true;
    root.append(this.canvas, this.layer, ...Object.values(this.text), this.message);
    const ctx = this.canvas.getContext("2d");
    const layerCtx = this.layer.getContext("2d");
    if (!ctx || !layerCtx) throw new Error("this browser cannot draw on a canvas");
    this.ctx = ctx;
    this.layerCtx = layerCtx;
    this.image = new OffscreenCanvas(1, 1);
    const imageCtx = this.image.getContext("2d");
    if (!imageCtx) throw new Error("this browser has no OffscreenCanvas");
    this.imageCtx = imageCtx;

    this.series = -1;
    this.frame = 0;
    this.invert = false;
    /** @type {Map<number, [number, number]>} user windows by series */
    this.windows = new Map();
    /** @type {Map<number, number>} the file VOI (window or LUT) chosen, by series */
    this.vois = new Map();
    this.zoom = 1;
    this.pan = { x: 0, y: 0 };
    this.rotation = 0;
    this.flipH = false;
    this.flipV = false;
    /** @type {FrameInfo & {view?: any} | null} */
    this.info = null;
    /** @type {ImageData|null} the pixels drawn: the frame, or every step-th pixel of it */
    this.shown = null;
    /** the frame's full size in pixels, and the step of the pixels drawn (1: all of them) */
    this.size = { width: 1, height: 1 };
    this.step = 1;
    /** until when (performance.now()) a drag asks for coarse previews of a large image */
    this.previewUntil = 0;
    /** the timer of the full frame that follows a coarse preview once the drag pauses */
    this.refineTimer = 0;
    /** what the measurement layer shows now (drawLayer redraws only when it changes) */
    this.layerContent = "";
    /** frames received and drawn, previews included (the bench counts drag frames by it) */
    this.framesDrawn = 0;
    /** @type {{kind: string, points: Point[]} | null} a measurement being drawn */
    this.draft = null;
    /**
     * A view of the series' volume (issue 14), or null for the acquired images. While set,
     * the pane asks renderView; its frame stays put and a step of n frames moves the
     * plane n voxels along its normal (see select).
     * @type {import("../rpc/protocol.js").VolumeView | null}
     */
    this.view = null;
    /** @type {View3D | null} the 3D view of the series' volume (view3d.js), or null */
    this.view3d = null;

    this.queue = new RenderQueue(
      () => this.render(),
      () => this.host.onChange(this),
    );

    new ResizeObserver(() => this.draw()).observe(root);
    attachPointer(this);
  }

  // -- state ---------------------------------------------------------------------

  get seriesInfo() {
    return this.host.catalog().series[this.series];
  }

  /** @param {number} series @param {number} frame */
  async select(series, frame = 0) {
    const info = this.host.catalog().series[series];
    if (!info)
      throw new RangeError(`no series ${series}: ${this.host.catalog().series.length} open`);
    if (series !== this.series) {
      this.series = series;
      this.view = null;
      this.leave3d();
      this.previewUntil = 0; // a drag's previews were for the image it dragged on
      this.resetView();
    } else if (this.view) {
      const shown = this.info?.volumeView;
      const at =
        (this.view.position ?? shown?.position ?? 0) + (frame - this.frame) * (shown?.step ?? 1);
      const [low, high] = shown?.range ?? [at, at];
      this.view = { ...this.view, position: Math.min(Math.max(at, low), high) };
      this.host.onChange(this);
      return this.changed();
    }
    this.frame = clampFrame(frame, info.frames);
    this.host.onChange(this);
    return this.changed();
  }

  clear() {
    this.series = -1;
    this.frame = 0;
    this.invert = false;
    this.windows.clear();
    this.vois.clear();
    this.shown = null;
    this.info = null;
    return this.changed();
  }

  resetView() {
    this.zoom = 1;
    this.pan = { x: 0, y: 0 };
    this.rotation = 0;
    this.flipH = false;
    this.flipV = false;
    this.draw();
  }

  /** @param {number} center @param {number} width */
  setWindow(center, width) {
    if (this.series < 0) return Promise.reject(new Error("nothing is open"));
    if (!(width > 0) || !Number.isFinite(center))
      return Promise.reject(new RangeError("window width must be positive"));
    if (this.view3d) return this.view3d.setWindow(center, width);
    this.windows.set(this.series, [center, width]);
    return this.changed();
  }

  clearWindow() {
    if (this.view3d) return this.view3d.clearWindow();
    this.windows.delete(this.series);
    this.vois.delete(this.series);
    return this.changed();
  }

  /** Choose one of the file's windows or VOI LUTs (by index); drops a user window. @param {number} index */
  setVoi(index) {
    this.windows.delete(this.series);
    this.vois.set(this.series, index);
    return this.changed();
  }

  /** @param {boolean} [on] */
  setInvert(on) {
    this.invert = on === undefined ? !this.invert : on;
    return this.series >= 0 ? this.changed() : Promise.resolve();
  }

  viewGeometry() {
    return {
      zoom: this.zoom,
      pan: this.pan,
      rotation: this.rotation,
      flipH: this.flipH,
      flipV: this.flipV,
    };
  }

  // -- rendering -------------------------------------------------------------------

  /** What the pane shows has changed: render it. Resolves once it is on screen. */
  changed() {
    return this.queue.changed();
  }

  /** @returns {Promise<void>} resolves once the latest state is on screen, in full */
  drawn() {
    return this.queue.drawn();
  }

  /** whether a render is waiting for the worker */
  get inFlight() {
    return this.queue.inFlight;
  }

  /**
   * Ask the worker for the pixels of the current state and draw them.
   * @returns {Promise<boolean>} false for a coarse preview (the full frame follows)
   */
  async render() {
    try {
      if (this.series < 0) {
        this.shown = null;
        this.info = null;
        this.step = 1;
        this.message.hidden = true;
      } else {
        const user = this.windows.get(this.series);
        const window = { center: user ? user[0] : null, width: user ? user[1] : null };
        const { info, pixels } = this.view3d
          ? await this.view3d.frame()
          : this.view
            ? await this.viewPixels({ series: this.series, view: this.view, ...window })
            : await this.host.client.call("render", {
                series: this.series,
                frame: this.frame,
                ...window,
                invert: this.invert,
                overlays: this.host.showOverlays(),
                voi: this.vois.get(this.series) ?? null,
                step: this.previewStep(),
              });
        const columns = Math.ceil(info.width / info.step);
        const rows = Math.ceil(info.height / info.step);
        this.shown = new ImageData(new Uint8ClampedArray(pixels), columns, rows);
        this.size = { width: info.width, height: info.height };
        this.step = info.step;
        this.info = info;
        if (this.image.width !== columns || this.image.height !== rows) {
          this.image.width = columns;
          this.image.height = rows;
        }
        this.imageCtx.putImageData(this.shown, 0, 0);
        this.message.hidden = !info.warning;
        this.message.textContent = info.warning ?? "";
      }
      this.framesDrawn += 1;
      this.draw();
      if (this.step > 1) this.refineLater();
      return this.step === 1;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // What the user sees when a frame cannot be shown: file, syntax, reason, in the viewport.
      this.shown = null;
      this.message.hidden = false;
      this.message.textContent = message;
      this.draw();
      this.host.onError(message);
      throw error;
    }
  }

  /**
   * A view of the volume: its pixels, and its info with the on-image text's record
   * (description) as `view`, the view as shown as `volumeView`.
   * @param {{series: number, view: import("../rpc/protocol.js").VolumeView,
   *          center: number|null, width: number|null}} args
   */
  async viewPixels(args) {
    const { info, pixels } = await this.host.client.call("renderView", {
      ...args,
      invert: this.invert,
    });
    if (this.view) this.view = { ...this.view, position: info.view.position };
    return { info: { ...info, volumeView: info.view, view: info.description }, pixels };
  }

  /**
   * Show the series' volume in 3D (view3d.js): `{mode: "3d", preset?, azimuth?,
   * elevation?, zoom?}`. Rejects, back in 2D with the reason in the viewport, where it
   * cannot be shown (no WebGL2, not a volume).
   * @param {import("./view3d.js").View3DRequest} view
   */
  async show3d(view) {
    const next = this.view3d ?? new View3D(this);
    try {
      next.set(view);
    } catch (error) {
      if (next !== this.view3d) next.close();
      throw error;
    }
    this.view = null;
    this.view3d = next;
    try {
      await this.changed();
    } catch (error) {
      this.leave3d(); // the message stays in the viewport until the next render
      throw error;
    }
  }

  /** Leave 3D (to the acquired images or an MPR view; the caller renders). */
  leave3d() {
    this.view3d?.close();
    this.view3d = null;
  }

  /**
   * While a window/level drag runs on an image shown smaller than its pixels (a
   * mammogram fitted to the screen), ask for every step-th pixel: about one per screen
   * pixel, so each drag frame costs what a screen-sized image costs.
   */
  previewStep() {
    if (!this.shown || performance.now() >= this.previewUntil) return 1;
    return Math.max(1, Math.floor(1 / matrixScale(this.matrix())));
  }

  /** After a coarse preview: the full frame, once the drag has paused. */
  refineLater() {
    clearTimeout(this.refineTimer);
    const wait = Math.max(0, this.previewUntil - performance.now()) + 10;
    this.refineTimer = window.setTimeout(() => this.queue.refine(), wait);
  }

  // -- drawing ------------------------------------------------------------------------

  /** @returns {Matrix} image pixels to canvas pixels */
  matrix() {
    const ratio = window.devicePixelRatio || 1;
    if (!this.shown) return [1, 0, 0, 1, 0, 0];
    const { width, height } = this.size;
    return viewMatrix(
      width,
      height,
      this.canvas.width,
      this.canvas.height,
      this.viewGeometry(),
      ratio,
    );
  }

  /** Client (CSS) pixels to image pixel coordinates. @param {number} clientX @param {number} clientY */
  toImage(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const canvasPoint = { x: (clientX - rect.left) * ratio, y: (clientY - rect.top) * ratio };
    return applyMatrix(invertMatrix(this.matrix()), canvasPoint);
  }

  draw() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.root.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.root.clientHeight * ratio));
    for (const canvas of [this.canvas, this.layer]) {
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
    }
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, width, height);
    const m = this.matrix();
    if (this.shown) {
      ctx.setTransform(...m);
      ctx.imageSmoothingEnabled = matrixScale(m) < 3;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.image, 0, 0, this.image.width * this.step, this.image.height * this.step);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    }
    this.drawLayer(m, ratio);
    this.drawText();
    this.host.onView?.();
  }

  /** @param {Matrix} m @param {number} ratio */
  drawLayer(m, ratio) {
    const uid = this.shown ? this.seriesInfo?.uid : undefined;
    const items = uid
      ? this.host.measurements.filter((x) => x.series === uid && x.frame === this.frame)
      : [];
    const cal = uid ? this.info?.view?.calibration : undefined;
    const ruler = this.host.showInfo() && cal && cal.column_mm ? cal : null;
    // What this layer shows; when it is what is already drawn (scrolling through slices
    // without measurements), the layer is left alone and the page repaints less.
    const shapes = items.map(({ kind, points, label }) => ({ kind, points, label }));
    const size = [this.layer.width, this.layer.height];
    const content = JSON.stringify([m, ratio, size, this.rotation, ruler, shapes, this.draft]);
    if (content === this.layerContent) return;
    this.layerContent = content;
    const draft = this.draft ? { ...this.draft, label: "" } : null;
    const what = uid ? { matrix: m, ratio, rotation: this.rotation, shapes, draft, ruler } : null;
    drawLayer(this.layerCtx, what);
  }

  drawText() {
    const info = this.info;
    if (!this.host.showInfo() || !info || !this.seriesInfo) return writeTextBoxes(this.text, null);
    const scale = this.shown ? matrixScale(this.matrix()) / (window.devicePixelRatio || 1) : 1;
    const content = overlayText(info, {
      hidePatient: this.host.hidePatient(),
      scale,
      invert: this.invert,
      rotation: this.rotation,
      flipH: this.flipH,
      flipV: this.flipV,
    });
    writeTextBoxes(this.text, content);
  }

  // -- measurements, 1:1 and snapshots ---------------------------------------------------

  /** Measure what the pointer drew and add it to the page's list. @param {string} kind @param {Point[]} points */
  async finishMeasurement(kind, points) {
    const series = this.seriesInfo;
    if (!series) return;
    const item = await measure(kind, points, {
      client: this.host.client,
      id: this.host.nextId(),
      uid: series.uid,
      series: this.series,
      frame: this.frame,
      calibration: this.info?.view?.calibration ?? UNCALIBRATED,
    });
    if (!item) return;
    this.host.measurements.push(item);
    this.draw();
    this.host.onChange(this);
  }

  /** Zoom so that one image pixel is one screen pixel. */
  actualSize() {
    if (!this.shown) return;
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = this.size;
    const fitted = { ...this.viewGeometry(), zoom: 1 };
    const fit = viewMatrix(width, height, this.canvas.width, this.canvas.height, fitted, ratio);
    this.zoom = ratio / matrixScale(fit);
    this.pan = { x: 0, y: 0 };
    this.draw();
  }

  /** A PNG of what the viewport shows, optionally with the on-image text. @param {boolean} withInfo */
  async snapshot(withInfo) {
    const out = new OffscreenCanvas(this.canvas.width, this.canvas.height);
    const ctx = out.getContext("2d");
    if (!ctx) throw new Error("cannot draw a snapshot");
    ctx.drawImage(this.canvas, 0, 0);
    ctx.drawImage(this.layer, 0, 0);
    if (withInfo) paintTextBoxes(ctx, this.text, this.root, window.devicePixelRatio || 1);
    return out.convertToBlob({ type: "image/png" });
  }
}
