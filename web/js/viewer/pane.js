// One viewport: its view state, its render loop (one request in flight, the latest
// state wins), the image canvas, the measurement layer and the on-image text.
// Zoom, pan, rotate and flip only redraw; they never ask the worker for pixels.
import {
  angleAt,
  applyMatrix,
  clampFrame,
  invertMatrix,
  lengthBetween,
  matrixScale,
  scaleBar,
  screenLabels,
  viewMatrix,
  windowFromDrag,
  zoomAbout,
  wheelZoomFactor,
} from "./interaction.js";

/** @typedef {import("./protocol.js").FrameInfo} FrameInfo */
/** @typedef {import("./interaction.js").Point} Point */
/**
 * @typedef {{id: number, kind: string, points: Point[], label: string, detail?: string,
 *            series: string, frame: number, result?: any}} Measurement
 * @typedef {{client: import("./client.js").Client, catalog: () => import("./protocol.js").Catalog,
 *            tool: () => string, showInfo: () => boolean, hidePatient: () => boolean,
 *            showOverlays: () => boolean,
 *            measurements: Measurement[], onActivate: (pane: Pane) => void,
 *            onChange: (pane: Pane) => void, onError: (message: string) => void,
 *            onView?: () => void,
 *            nextId: () => number}} PaneHost
 */

const MEASURE_COLOR = "#ffd54a";
/** how long after the last window/level drag step the viewer keeps drawing coarse previews */
const PREVIEW_MS = 200;

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
    this.text = {
      tl: el("div", "overlay top-left"),
      tr: el("div", "overlay top-right"),
      bl: el("div", "overlay bottom-left"),
      br: el("div", "overlay bottom-right"),
      top: el("div", "marker marker-top"),
      right: el("div", "marker marker-right"),
      bottom: el("div", "marker marker-bottom"),
      left: el("div", "marker marker-left"),
    };
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
    /** a coarse preview is drawn; the full frame follows once the drag pauses */
    this.coarse = false;
    this.refineTimer = 0;
    /** what the measurement layer shows now (drawLayer redraws only when it changes) */
    this.layerContent = "";
    /** frames received and drawn, previews included (the bench counts drag frames by it) */
    this.framesDrawn = 0;
    /** @type {{kind: string, points: Point[]} | null} a measurement being drawn */
    this.draft = null;

    this.version = 0;
    this.drawnVersion = 0;
    this.inFlight = false;
    this.scheduled = false;
    /** @type {{version: number, resolve: () => void, reject: (e: Error) => void}[]} */
    this.waiters = [];

    new ResizeObserver(() => this.draw()).observe(root);
    this.attachPointer();
  }

  // -- state ---------------------------------------------------------------------

  get seriesInfo() {
    return this.host.catalog().series[this.series];
  }

  /** @param {number} series @param {number} frame */
  async select(series, frame = 0) {
    const info = this.host.catalog().series[series];
    if (!info) throw new RangeError(`no series ${series}: ${this.host.catalog().series.length} open`);
    if (series !== this.series) {
      this.series = series;
      this.previewUntil = 0; // a drag's previews were for the image it dragged on
      this.resetView();
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
    if (!(width > 0) || !Number.isFinite(center)) return Promise.reject(new RangeError("window width must be positive"));
    this.windows.set(this.series, [center, width]);
    return this.changed();
  }

  clearWindow() {
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
    return { zoom: this.zoom, pan: this.pan, rotation: this.rotation, flipH: this.flipH, flipV: this.flipV };
  }

  // -- rendering -------------------------------------------------------------------

  changed() {
    this.version += 1;
    this.schedule();
    return this.drawn();
  }

  /** @returns {Promise<void>} */
  drawn() {
    if (this.drawnVersion === this.version && !this.inFlight && !this.coarse) return Promise.resolve();
    const mine = this.version;
    return new Promise((resolve, reject) => this.waiters.push({ version: mine, resolve: () => resolve(), reject }));
  }

  /**
   * Ask for the latest state's pixels at the end of this task: changes made together
   * (a select and a window) make one request, and with one request in flight at most, a
   * burst of input costs one render per round trip. No waiting for an animation frame:
   * that would add up to a display frame of latency to every scroll step.
   */
  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  /** @param {number} upTo @param {Error|null} error */
  settle(upTo, error) {
    const done = this.waiters.filter((w) => w.version <= upTo);
    this.waiters = this.waiters.filter((w) => w.version > upTo);
    for (const w of done) (error ? w.reject(error) : w.resolve());
  }

  async pump() {
    if (this.inFlight || this.drawnVersion === this.version) return;
    this.inFlight = true;
    const target = this.version;
    try {
      if (this.series < 0) {
        this.shown = null;
        this.info = null;
        this.step = 1;
        this.message.hidden = true;
      } else {
        const user = this.windows.get(this.series);
        const step = this.previewStep();
        const result = await this.host.client.call("render", {
          series: this.series,
          frame: this.frame,
          center: user ? user[0] : null,
          width: user ? user[1] : null,
          invert: this.invert,
          overlays: this.host.showOverlays(),
          voi: this.vois.get(this.series) ?? null,
          step,
        });
        const { info, pixels } = result;
        const [columns, rows] = [Math.ceil(info.width / info.step), Math.ceil(info.height / info.step)];
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
      this.coarse = this.step > 1;
      this.framesDrawn += 1;
      this.draw();
      if (this.coarse) this.refineLater();
      else this.settle(target, null);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      // What the user sees when a frame cannot be shown: file, syntax, reason, in the viewport.
      this.shown = null;
      this.coarse = false;
      this.message.hidden = false;
      this.message.textContent = err.message;
      this.draw();
      this.host.onError(err.message);
      this.settle(target, err);
    } finally {
      this.drawnVersion = target;
      this.inFlight = false;
      if (this.drawnVersion !== this.version) this.schedule();
      this.host.onChange(this);
    }
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
    this.refineTimer = window.setTimeout(() => {
      if (!this.coarse || this.inFlight) return; // a render in flight ends in its own check
      this.version += 1;
      this.schedule();
    }, wait);
  }

  // -- drawing ------------------------------------------------------------------------

  matrix() {
    const ratio = window.devicePixelRatio || 1;
    if (!this.shown) return /** @type {import("./interaction.js").Matrix} */ ([1, 0, 0, 1, 0, 0]);
    return viewMatrix(this.size.width, this.size.height, this.canvas.width, this.canvas.height, this.viewGeometry(), ratio);
  }

  /** Canvas (device) pixels to image pixel coordinates. @param {number} clientX @param {number} clientY */
  toImage(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    return applyMatrix(invertMatrix(this.matrix()), { x: (clientX - rect.left) * ratio, y: (clientY - rect.top) * ratio });
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

  /** @param {import("./interaction.js").Matrix} m @param {number} ratio */
  drawLayer(m, ratio) {
    const uid = this.shown ? this.seriesInfo?.uid : undefined;
    const items = uid ? this.host.measurements.filter((x) => x.series === uid && x.frame === this.frame) : [];
    const cal = uid ? this.info?.view?.calibration : undefined;
    const ruler = this.host.showInfo() && cal && cal.column_mm ? cal : null;
    // What this layer shows; when it is what is already drawn (scrolling through slices
    // without measurements), the layer is left alone and the page repaints less.
    const content = JSON.stringify([m, ratio, this.layer.width, this.layer.height, this.rotation, ruler,
      items.map((x) => [x.kind, x.points, x.label]), this.draft]);
    if (content === this.layerContent) return;
    this.layerContent = content;
    const ctx = this.layerCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.layer.width, this.layer.height);
    if (!uid) return;
    ctx.lineWidth = 1.5 * ratio;
    ctx.font = `${12 * ratio}px system-ui, sans-serif`;
    ctx.strokeStyle = MEASURE_COLOR;
    ctx.fillStyle = MEASURE_COLOR;
    for (const item of items) this.drawShape(ctx, m, item.kind, item.points, item.label);
    if (this.draft) this.drawShape(ctx, m, this.draft.kind, this.draft.points, "");
    // Scale bar from the calibration, bottom centre.
    if (ruler) {
      const cal = ruler;
      // The ruler is vertical on screen: rows, or columns when turned a quarter.
      const spacing = (this.rotation % 180 === 0 ? cal.row_mm : cal.column_mm) || cal.column_mm;
      const cssPerMm = matrixScale(m) / ratio / spacing;
      const bar = scaleBar(cssPerMm);
      if (bar) {
        // A vertical ruler on the right edge, below the orientation marker, clear of the text.
        const x = this.layer.width - 12 * ratio;
        const y0 = this.layer.height * 0.58;
        const y1 = y0 + bar.pixels * ratio;
        ctx.strokeStyle = "#f0f0f0";
        ctx.fillStyle = "#f0f0f0";
        ctx.beginPath();
        ctx.moveTo(x - 4 * ratio, y0);
        ctx.lineTo(x, y0);
        ctx.lineTo(x, y1);
        ctx.lineTo(x - 4 * ratio, y1);
        ctx.stroke();
        const label = bar.mm >= 10 ? `${bar.mm / 10} cm` : `${bar.mm} mm`;
        ctx.textAlign = "right";
        ctx.fillText(label, x - 6 * ratio, (y0 + y1) / 2 + 4 * ratio);
        ctx.textAlign = "left";
      }
    }
  }

  /**
   * @param {CanvasRenderingContext2D} ctx @param {import("./interaction.js").Matrix} m
   * @param {string} kind @param {Point[]} points @param {string} label
   */
  drawShape(ctx, m, kind, points, label) {
    const screen = points.map((p) => applyMatrix(m, p));
    ctx.beginPath();
    if (kind === "length" || kind === "angle") {
      screen.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
    } else if ((kind === "rect" || kind === "ellipse") && screen.length === 2) {
      // Boxes are axis-aligned in the image: draw through the four image corners.
      const [a, b] = points;
      const corners = [a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }].map((p) => applyMatrix(m, p));
      if (kind === "rect") {
        corners.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
        ctx.closePath();
      } else {
        const centre = applyMatrix(m, { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
        const rx = Math.hypot(corners[1].x - corners[0].x, corners[1].y - corners[0].y) / 2;
        const ry = Math.hypot(corners[3].x - corners[0].x, corners[3].y - corners[0].y) / 2;
        const angle = Math.atan2(corners[1].y - corners[0].y, corners[1].x - corners[0].x);
        ctx.ellipse(centre.x, centre.y, rx, ry, angle, 0, Math.PI * 2);
      }
    } else if (kind === "probe" && screen.length) {
      const p = screen[0];
      ctx.moveTo(p.x - 6, p.y);
      ctx.lineTo(p.x + 6, p.y);
      ctx.moveTo(p.x, p.y - 6);
      ctx.lineTo(p.x, p.y + 6);
    }
    ctx.stroke();
    if (label && screen.length) {
      const anchor = screen[screen.length - 1];
      ctx.fillText(label, anchor.x + 6, anchor.y - 6);
    }
  }

  drawText() {
    const info = this.info;
    const series = this.seriesInfo;
    const show = this.host.showInfo() && info && series;
    for (const node of Object.values(this.text)) node.hidden = !show;
    if (!show || !info) return;
    /** @type {Record<keyof Pane["text"], string>} */
    const text = { tl: "", tr: "", bl: "", br: "", top: "", right: "", bottom: "", left: "" };
    const view = info.view ?? {};
    const hide = this.host.hidePatient();
    const patient = view.patient ?? {};
    text.tl = hide
      ? "Patient information hidden"
      : [patient.name, patient.id && `ID ${patient.id}`, [patient.birthDate, patient.sex].filter(Boolean).join("  ")]
          .filter(Boolean)
          .join("\n");
    text.tr = [
      hide ? "" : [dicomDate(view.study?.date), view.study?.description].filter(Boolean).join("  "),
      [view.seriesNumber && `Se ${view.seriesNumber}`, hide ? "" : view.seriesDescription].filter(Boolean).join("  "),
      info.file && !hide ? info.file : "",
    ]
      .filter(Boolean)
      .join("\n");
    const slice = [
      view.sliceLocation !== null && view.sliceLocation !== undefined ? `Loc ${view.sliceLocation.toFixed(1)} mm` : "",
      view.sliceThickness ? `Thk ${view.sliceThickness} mm` : "",
    ]
      .filter(Boolean)
      .join("  ");
    text.bl = [`Image ${info.frame + 1} / ${info.frames}`, slice, view.lossy ? "LOSSY" : ""]
      .filter(Boolean)
      .join("\n");
    this.text.bl.classList.toggle("lossy", Boolean(view.lossy));
    const windowText =
      info.windowCenter !== null && info.windowWidth !== null
        ? `W ${round(info.windowWidth)}  L ${round(info.windowCenter)}`
        : "";
    const scale = this.shown ? matrixScale(this.matrix()) / (window.devicePixelRatio || 1) : 1;
    text.br = [windowText, `Zoom ${Math.round(scale * 100)}%`, this.invert ? "Inverted" : ""]
      .filter(Boolean)
      .join("\n");
    const labels = view.orientation
      ? screenLabels(view.orientation, this.rotation, this.flipH, this.flipV)
      : { top: "", right: "", bottom: "", left: "" };
    text.top = labels.top;
    text.right = labels.right;
    text.bottom = labels.bottom;
    text.left = labels.left;
    // Only what changed is written: an unchanged text left alone costs the page no layout.
    for (const [key, value] of Object.entries(text)) {
      const node = this.text[/** @type {keyof Pane["text"]} */ (key)];
      if (node.textContent !== value) node.textContent = value;
    }
  }

  // -- pointer input -------------------------------------------------------------------

  attachPointer() {
    /** @type {Map<number, {x: number, y: number}>} */
    const pointers = new Map();
    /** @type {null | {mode: string, x: number, y: number, start: any}} */
    let drag = null;
    /** @type {null | {distance: number, mid: {x: number, y: number}, zoom: number, pan: {x: number, y: number}}} */
    let pinch = null;
    const root = this.root;
    root.addEventListener("contextmenu", (event) => event.preventDefault());
    root.addEventListener("pointerdown", (event) => {
      this.host.onActivate(this);
      try {
        root.setPointerCapture(event.pointerId);
      } catch {
        // a synthetic or already-released pointer cannot be captured; the drag still works
      }
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = { distance: Math.hypot(a.x - b.x, a.y - b.y), mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, zoom: this.zoom, pan: { ...this.pan } };
        drag = null;
        this.draft = null;
        return;
      }
      if (this.series < 0 || !this.shown) return;
      const mode = event.button === 2 ? "wl" : event.button === 1 ? "pan" : this.host.tool();
      drag = { mode, x: event.clientX, y: event.clientY, start: this.dragStart(mode, event) };
      event.preventDefault();
    });
    root.addEventListener("pointermove", (event) => {
      if (!pointers.has(event.pointerId)) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && pointers.size >= 2) {
        const [a, b] = [...pointers.values()];
        const distance = Math.hypot(a.x - b.x, a.y - b.y);
        const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        this.zoom = Math.min(Math.max(pinch.zoom * (distance / Math.max(pinch.distance, 1)), 0.05), 64);
        this.pan = { x: pinch.pan.x + mid.x - pinch.mid.x, y: pinch.pan.y + mid.y - pinch.mid.y };
        this.draw();
        return;
      }
      if (drag) this.dragMove(drag, event);
    });
    const end = (/** @type {PointerEvent} */ event) => {
      pointers.delete(event.pointerId);
      if (pointers.size < 2) pinch = null;
      if (drag) {
        const done = drag;
        drag = null;
        this.dragEnd(done, event);
      }
    };
    root.addEventListener("pointerup", end);
    root.addEventListener("pointercancel", end);
  }

  /** @param {string} mode @param {PointerEvent} event */
  dragStart(mode, event) {
    const point = this.toImage(event.clientX, event.clientY);
    if (mode === "wl") {
      const info = this.info;
      const current = this.windows.get(this.series);
      return current
        ? { center: current[0], width: current[1] }
        : { center: info?.windowCenter ?? 128, width: info?.windowWidth ?? 256 };
    }
    if (mode === "pan") return { ...this.pan };
    if (mode === "zoom") return { zoom: this.zoom, pan: { ...this.pan } };
    if (mode === "scroll") return { frame: this.frame };
    if (mode === "angle" && this.draft?.kind === "angle" && this.draft.points.length === 2) {
      return { angleThird: true };
    }
    if (["length", "angle", "rect", "ellipse"].includes(mode)) {
      this.draft = { kind: mode, points: [point, point] };
    }
    if (mode === "probe") this.draft = { kind: "probe", points: [point] };
    return { point };
  }

  /** @param {{mode: string, x: number, y: number, start: any}} drag @param {PointerEvent} event */
  dragMove(drag, event) {
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    const point = this.toImage(event.clientX, event.clientY);
    switch (drag.mode) {
      case "wl": {
        const next = windowFromDrag(drag.start, dx, dy);
        this.previewUntil = performance.now() + PREVIEW_MS;
        void this.setWindow(next.center, next.width).catch(() => {});
        break;
      }
      case "pan":
        this.pan = { x: drag.start.x + dx, y: drag.start.y + dy };
        this.draw();
        break;
      case "zoom": {
        const rect = this.root.getBoundingClientRect();
        const next = zoomAbout({ ...this.viewGeometry(), zoom: drag.start.zoom, pan: drag.start.pan }, wheelZoomFactor(dy * 2),
          { x: drag.x - rect.left, y: drag.y - rect.top }, { width: rect.width, height: rect.height });
        this.zoom = next.zoom;
        this.pan = next.pan;
        this.draw();
        break;
      }
      case "scroll": {
        const frames = this.seriesInfo?.frames ?? 1;
        const next = clampFrame(drag.start.frame + Math.round(dy / 8), frames);
        if (next !== this.frame) void this.select(this.series, next).catch(() => {});
        break;
      }
      default:
        if (this.draft && this.draft.kind !== "probe") {
          this.draft.points[this.draft.points.length - 1] = point;
          this.draw();
        }
    }
  }

  /** @param {{mode: string, start: any}} drag @param {PointerEvent} event */
  dragEnd(drag, event) {
    const draft = this.draft;
    if (!draft || !["length", "angle", "rect", "ellipse", "probe"].includes(drag.mode)) return;
    const point = this.toImage(event.clientX, event.clientY);
    if (draft.kind === "angle" && draft.points.length === 2 && !drag.start.angleThird) {
      draft.points[1] = point;
      draft.points.push(point); // the third point follows the next click
      this.draw();
      return;
    }
    if (draft.kind !== "probe") draft.points[draft.points.length - 1] = point;
    this.draft = null;
    void this.finishMeasurement(draft.kind, draft.points);
  }

  /** @param {string} kind @param {Point[]} points */
  async finishMeasurement(kind, points) {
    const series = this.seriesInfo;
    const cal = this.info?.view?.calibration ?? { row_mm: null, column_mm: null, kind: "uncalibrated", note: "" };
    if (!series) return;
    /** @type {Measurement} */
    const item = { id: this.host.nextId(), kind, points, label: "", series: series.uid, frame: this.frame };
    if (kind === "length") {
      const { value, unit } = lengthBetween(points[0], points[1], cal);
      item.label = `${value.toFixed(1)} ${unit}`;
      item.result = { value, unit, calibration: cal.kind, note: cal.note };
    } else if (kind === "angle") {
      const degrees = angleAt(points[0], points[1], points[2], cal);
      item.label = `${degrees.toFixed(1)}°`;
      item.result = { value: degrees, unit: "deg", calibration: cal.kind, note: cal.note };
    } else if (kind === "rect" || kind === "ellipse") {
      const box = [points[0].x, points[0].y, points[1].x, points[1].y];
      const stats = await this.host.client.call("region", { series: this.series, frame: this.frame, kind, box });
      if (!stats) return;
      item.result = stats;
      const unit = stats.unit ? ` ${stats.unit}` : "";
      item.label = `${stats.area.toFixed(1)} ${stats.areaUnit}, mean ${stats.mean.toFixed(1)}${unit}`;
      item.detail = `SD ${stats.std.toFixed(1)}, min ${stats.min.toFixed(1)}, max ${stats.max.toFixed(1)}${unit}`;
    } else if (kind === "probe") {
      const probe = await this.host.client.call("probe", { series: this.series, frame: this.frame, x: points[0].x, y: points[0].y });
      if (!probe) return;
      item.result = probe;
      const unit = probe.unit ? ` ${probe.unit}` : "";
      item.label = `${probe.value.toFixed(1)}${unit}`;
      item.detail = `stored ${JSON.stringify(probe.stored)} at (${probe.column}, ${probe.row})` +
        (probe.patient ? `, patient (${probe.patient.map((/** @type {number} */ v) => v.toFixed(1)).join(", ")}) mm` : "");
    }
    this.host.measurements.push(item);
    this.draw();
    this.host.onChange(this);
  }

  /** @param {WheelEvent} event */
  wheel(event) {
    if (!(event.ctrlKey || event.metaKey)) return false;
    const rect = this.root.getBoundingClientRect();
    const next = zoomAbout(this.viewGeometry(), wheelZoomFactor(event.deltaY),
      { x: event.clientX - rect.left, y: event.clientY - rect.top }, { width: rect.width, height: rect.height });
    this.zoom = next.zoom;
    this.pan = next.pan;
    this.draw();
    return true;
  }

  /** Zoom so that one image pixel is one screen pixel. */
  actualSize() {
    if (!this.shown) return;
    const ratio = window.devicePixelRatio || 1;
    const fitScale = matrixScale(viewMatrix(this.size.width, this.size.height, this.canvas.width, this.canvas.height, { ...this.viewGeometry(), zoom: 1 }, ratio));
    this.zoom = ratio / fitScale;
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
    if (withInfo) {
      const ratio = window.devicePixelRatio || 1;
      ctx.font = `${12 * ratio}px system-ui, sans-serif`;
      ctx.fillStyle = "#f0f0f0";
      for (const node of Object.values(this.text)) {
        if (node.hidden || !node.textContent) continue;
        const box = node.getBoundingClientRect();
        const base = this.root.getBoundingClientRect();
        node.textContent.split("\n").forEach((line, i) => {
          ctx.fillText(line, (box.left - base.left) * ratio, (box.top - base.top + 12 + i * 15) * ratio);
        });
      }
    }
    return out.convertToBlob({ type: "image/png" });
  }
}

/** @param {number} value */
export function round(value) {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
}

/** YYYYMMDD as YYYY-MM-DD. @param {string | undefined} date */
export function dicomDate(date) {
  const text = date ?? "";
  return /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}` : text;
}
