// The slide view of a pane (issue 15 item 2): a whole-slide image shown like a map. The
// worker makes the tiles: baseline JPEG and native 8-bit RGB itself, several at once,
// without Python (worker/slidetiles.js); others through Python one at a time
// (lightbox.slide, through the codecs of any frame). This view keeps the decoded tiles as ImageBitmaps (a least-recently-used cache), draws
// the level the zoom calls for (slide-math.js) over the coarser tiles it already has,
// and asks for the tiles in view that it lacks, nearest the centre first. Drag pans,
// wheel or pinch zooms about the pointer, + - zoom, the arrows pan; with the Length tool
// a drag measures in µm. A scale bar in µm/mm is drawn on its own layer.
import { setAttr, setText } from "../i18n/dom.js";
import {
  chooseLevel,
  lengthText,
  placement,
  scaleBar,
  sparseGrid,
  visibleTiles,
  zoomAbout,
} from "./slide-math.js";

/** @typedef {import("../rpc/protocol.js").SlideInfo} SlideInfo */
/** @typedef {import("./slide-math.js").SlideCamera} SlideCamera */

/** Decoded tiles kept on the page. */
const TILE_CACHE = 600;
/** Tile requests in flight at once: Python decodes one at a time (two keep it busy); the
 * browser's decoder several. */
const IN_FLIGHT = { engine: 2, browser: 8 };
/** Tiles fetched ahead (around the view, and the finer level under its centre) when the
 * view's own are all had, for the levels the browser decodes. */
const PREFETCH = 24;
const BACKGROUND = "#1b1b1b";
/** Tiles asked for at most of one view. */
const MAX_WANTED = 400;

export class SlideView {
  /**
   * @param {HTMLElement} root the pane's element
   * @param {import("../rpc/client.js").Client} client
   * @param {{tool: () => string, onMeasure: (m: {points: number[][], um: number}) => void,
   *          lengths: (uid: string) => {points: number[][], um: number}[]}} host
   */
  constructor(root, client, host) {
    this.client = client;
    this.host = host;
    this.root = root;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "slide-layer";
    this.overlay = document.createElement("canvas");
    this.overlay.className = "slide-overlay";
    this.canvas.hidden = true;
    this.overlay.hidden = true;
    root.append(this.canvas, this.overlay);
    const ctx = this.canvas.getContext("2d", { willReadFrequently: true, alpha: false });
    const octx = this.overlay.getContext("2d");
    if (!ctx || !octx) throw new Error("this browser cannot draw on a canvas");
    this.ctx = ctx;
    this.octx = octx;
    this.series = -1;
    /** the series' UID (a series index is reused) */
    this.seriesUid = "";
    /** what the tiles cached are keyed by: the series' UID, optical path and focal plane */
    this.uid = "";
    /** @type {{path?: string, plane: number}} the optical path and focal plane shown */
    this.choice = { plane: 0 };
    this.chooser = document.createElement("div");
    this.chooser.className = "slide-chooser";
    this.chooser.hidden = true;
    this.pathSelect = document.createElement("select");
    setAttr(this.pathSelect, "aria-label", "slide.path");
    this.planeSelect = document.createElement("select");
    setAttr(this.planeSelect, "aria-label", "slide.plane");
    this.chooser.append(this.pathSelect, this.planeSelect);
    root.append(this.chooser);
    this.pathSelect.addEventListener("change", () => {
      void this.choose({ opticalPath: this.pathSelect.value });
    });
    this.planeSelect.addEventListener("change", () => {
      void this.choose({ focalPlane: Number(this.planeSelect.value) });
    });
    /** @type {SlideInfo | null} */
    this.info = null;
    /** @type {(Map<string, number> | null)[]} */
    this.grids = [];
    /** @type {SlideCamera} */
    this.camera = { center: [0, 0], zoom: 1 };
    /** @type {Map<string, ImageBitmap>} tiles by "series:level:frame", oldest first */
    this.tiles = new Map();
    /** @type {Map<string, number>} tiles wanted (in view, not yet had): when first wanted */
    this.wanted = new Map();
    /** @type {Set<string>} */
    this.loading = new Set();
    /** the tiles of the chosen level in view that are not drawn yet */
    this.pending = 0;
    /** ms from a tile's being uncovered to its being drawn, the latest 2000 */
    this.arrivals = /** @type {number[]} */ ([]);
    /** when each tile arrived since the last draw was first wanted */
    this.arrived = /** @type {number[]} */ ([]);
    /** ms each draw took, the latest 2000 */
    this.drawTimes = /** @type {number[]} */ ([]);
    this.decodedTiles = 0;
    /** tiles made by each decoder: the browser's (worker, no Python) and the engine's */
    this.decoders = { browser: 0, engine: 0 };
    /** ms the worker took to read and decode each tile the browser made, the latest 2000 */
    this.decodeTimes = /** @type {number[]} */ ([]);
    /** @type {Set<string>} tiles fetched ahead of being in view */
    this.ahead = new Set();
    /** @type {{from: number[], to: number[]} | null} a length being drawn (µm) */
    this.draft = null;
    this.frameRequested = false;
    /** @type {((value: void) => void)[]} waiting for every tile in view */
    this.settledWaiters = [];
    /** @type {string | null} */
    this.error = null;
    this.attach();
  }

  /**
   * The lengths measured on this slide: the page's measurements of it (kept by its UID),
   * so they are drawn again whichever series was shown between, and after the engine
   * restarts (page/revive.js), and go when deleted from the list.
   * @returns {{points: number[][], um: number}[]}
   */
  get lengths() {
    return this.host.lengths(this.seriesUid);
  }

  /** @param {boolean} on */
  set visible(on) {
    this.canvas.hidden = !on;
    this.overlay.hidden = !on;
    this.chooser.hidden = !on || !this.choices();
  }

  /** Whether the slide has more than one optical path or focal plane to choose from. */
  choices() {
    return Boolean(this.info && (this.info.paths.length > 1 || this.info.planes.length > 1));
  }

  get visible() {
    return !this.canvas.hidden;
  }

  /**
   * Show series `series` (fetching its pyramid once), fitted to the pane.
   * @param {number} series @param {string} uid the series' UID
   */
  async show(series, uid) {
    if (series === this.series && uid === this.seriesUid && this.info) {
      this.requestDraw();
      return;
    }
    const info = await this.client.call("slide", { series });
    this.series = series;
    this.seriesUid = uid;
    this.choice = { plane: 0 };
    this.take(info);
    this.wanted.clear();
    this.ahead.clear();
    this.decoders = { browser: 0, engine: 0 };
    this.draft = null;
    this.error = null;
    this.fit();
    this.drawNow();
  }

  /**
   * Show one optical path and focal plane of the slide, keeping the view.
   * @param {{opticalPath?: string, focalPlane?: number}} choice
   */
  async choose(choice) {
    const info = this.info;
    if (!info) throw new Error("no slide is shown");
    const path = choice.opticalPath ?? info.opticalPath;
    const plane = choice.focalPlane ?? (path === info.opticalPath ? info.focalPlane : 0);
    const next = await this.client.call("slide", { series: this.series, path, plane });
    this.choice = { path, plane };
    this.take(next);
    this.wanted.clear();
    this.ahead.clear();
    this.drawNow();
  }

  /** Take a pyramid as shown: its grids, the key of its tiles, the chooser. @param {SlideInfo} info */
  take(info) {
    this.info = info;
    this.grids = info.level.map((l) => (l.positions ? sparseGrid(l) : null));
    this.uid = [this.seriesUid, encodeURIComponent(info.opticalPath), info.focalPlane].join("#");
    this.pathSelect.replaceChildren(
      ...info.paths.map((p) => new Option(p.label ? `${p.label} (${p.id})` : p.id, p.id)),
    );
    this.pathSelect.value = info.opticalPath;
    this.pathSelect.hidden = info.paths.length < 2;
    this.planeSelect.replaceChildren(
      ...info.planes.map((z, i) => {
        const option = new Option("", String(i));
        setText(option, "slide.plane_option", { n: i + 1, z: Math.round(z * 100) / 100 });
        return option;
      }),
    );
    this.planeSelect.value = String(info.focalPlane);
    this.planeSelect.hidden = info.planes.length < 2;
    this.chooser.hidden = !this.visible || !this.choices();
  }

  /** The whole slide in view. */
  fit() {
    const info = this.info;
    if (!info) return;
    const { width, height } = this.size();
    const [sx, sy] = info.spacing;
    const w = info.width * sx;
    const h = info.height * sy;
    this.camera = { center: [w / 2, h / 2], zoom: Math.max(w / width, h / height) * 1.02 };
  }

  /** The view's size in CSS pixels. */
  size() {
    return {
      width: Math.max(16, Math.round(this.root.clientWidth)),
      height: Math.max(16, Math.round(this.root.clientHeight)),
    };
  }

  /**
   * Change the view: `{center?: [x, y] µm, zoom?: µm per CSS pixel, level?}` (a level
   * sets the zoom to one of its pixels per CSS pixel).
   * @param {{center?: number[], zoom?: number, level?: number}} view
   */
  set(view) {
    const info = this.info;
    if (!info) throw new Error("no slide is shown");
    if (view.level !== undefined) {
      const level = info.level[view.level];
      if (!level) throw new RangeError(`no level ${view.level} (${info.level.length} levels)`);
      this.camera = { ...this.camera, zoom: level.spacing[0] };
    }
    if (view.zoom !== undefined) {
      if (!(view.zoom > 0)) throw new RangeError("zoom must be positive");
      this.camera = { ...this.camera, zoom: view.zoom };
    }
    if (view.center) this.camera = { ...this.camera, center: [...view.center] };
    this.drawNow();
  }

  /** The level the current zoom shows. */
  get level() {
    return this.info ? chooseLevel(this.info.level, this.camera.zoom) : 0;
  }

  requestDraw() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.drawNow();
    });
  }

  /** Draw what is cached of the view now, and ask for the tiles it lacks. */
  drawNow() {
    const info = this.info;
    if (!info) return;
    const began = performance.now();
    const { width, height } = this.size();
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.overlay.width = width;
      this.overlay.height = height;
    }
    const ctx = this.ctx;
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "medium";
    const chosen = this.level;
    // Coarser tiles first, as a stand-in where the chosen level's have not arrived.
    for (let l = Math.min(info.level.length - 1, chosen + 4); l > chosen; l -= 1) {
      this.drawLevel(l, width, height, false);
    }
    const now = performance.now();
    const missing = this.drawLevel(chosen, width, height, true);
    const key = (/** @type {number} */ frame) => `${this.uid}|${chosen}|${frame}`;
    const inView = new Set(missing.map(key));
    for (const wanted of [...this.wanted.keys()])
      if (!inView.has(wanted)) this.wanted.delete(wanted);
    // At most MAX_WANTED (nearest the centre): a level of one file seen whole asks no more.
    for (const frame of missing.slice(0, MAX_WANTED)) {
      if (!this.wanted.has(key(frame))) this.wanted.set(key(frame), now);
    }
    this.pending = missing.length;
    if (!missing.length) this.prefetch(chosen, width, height);
    this.drawOverlay(width, height);
    const drawn = performance.now();
    for (const since of this.arrived.splice(0)) this.arrivals.push(drawn - since);
    while (this.arrivals.length > 2000) this.arrivals.shift();
    this.drawTimes.push(drawn - began);
    if (this.drawTimes.length > 2000) this.drawTimes.shift();
    this.pump();
    if (!this.pending && !this.loading.size) {
      for (const resolve of this.settledWaiters.splice(0)) resolve();
    }
  }

  /**
   * Draw one level's cached tiles in view; the frames in view it has not got (in the order
   * to fetch them).
   * @param {number} l @param {number} width @param {number} height @param {boolean} fetch
   * @returns {number[]}
   */
  drawLevel(l, width, height, fetch) {
    const info = /** @type {SlideInfo} */ (this.info);
    const level = info.level[l];
    const { left, top, kx, ky } = placement(level, this.camera, width, height);
    /** @type {number[]} */
    const missing = [];
    for (const tile of visibleTiles(level, this.camera, width, height, this.grids[l])) {
      const key = `${this.uid}|${l}|${tile.frame}`;
      const bitmap = this.tiles.get(key);
      if (!bitmap) {
        if (fetch) missing.push(tile.frame);
        continue;
      }
      this.tiles.delete(key); // most recently used last
      this.tiles.set(key, bitmap);
      this.ctx.drawImage(
        bitmap,
        0,
        0,
        tile.w,
        tile.h,
        (tile.x - left) * kx,
        (tile.y - top) * ky,
        tile.w * kx,
        tile.h * ky,
      );
    }
    return missing;
  }

  /**
   * Queue tiles the view may soon show, once its own are had: the chosen level's ring
   * around the view, then the finer level's under the centre (a zoom in), nearest the
   * centre first; only for levels the browser decodes (Python's queue stays the view's).
   * @param {number} chosen @param {number} width @param {number} height
   */
  prefetch(chosen, width, height) {
    const info = /** @type {SlideInfo} */ (this.info);
    this.ahead.clear();
    for (const l of [chosen, chosen - 1]) {
      const level = info.level[l];
      if (!level || level.decoder !== "browser") continue;
      const margin = l === chosen ? 2 * Math.max(level.tileWidth, level.tileHeight) : 0;
      const scale = l === chosen ? 1 : 0.5;
      const around = visibleTiles(
        level,
        this.camera,
        width * scale + margin,
        height * scale + margin,
        this.grids[l],
      );
      for (const tile of around) {
        const key = `${this.uid}|${l}|${tile.frame}`;
        if (this.ahead.size >= PREFETCH) return;
        if (!this.tiles.has(key) && !this.loading.has(key)) this.ahead.add(key);
      }
    }
  }

  /** The in-flight limit for a tile's level. @param {string} key */
  limit(key) {
    const l = Number(key.split("|")[1]);
    return this.info?.level[l]?.decoder === "browser" ? IN_FLIGHT.browser : IN_FLIGHT.engine;
  }

  /** Fetch the wanted tiles, nearest the centre first, a few at a time; then those ahead. */
  pump() {
    for (;;) {
      const next =
        [...this.wanted.keys()].find((k) => !this.loading.has(k)) ??
        [...this.ahead].find((k) => !this.loading.has(k) && !this.tiles.has(k));
      if (!next || this.loading.size >= this.limit(next)) return;
      const since = this.wanted.get(next);
      this.wanted.delete(next);
      this.ahead.delete(next);
      this.loading.add(next);
      const [uid, level, frame] = next.split("|");
      const series = this.series;
      void this.client
        .call("slideTile", {
          series,
          level: Number(level),
          frame: Number(frame),
          path: this.info?.opticalPath,
        })
        .then(async ({ info, pixels, bitmap: made }) => {
          const bitmap =
            made ??
            (await createImageBitmap(
              new ImageData(
                new Uint8ClampedArray(/** @type {ArrayBuffer} */ (pixels)),
                info.width,
                info.height,
              ),
              { colorSpaceConversion: "none", premultiplyAlpha: "none" },
            ));
          this.tiles.set(next, bitmap);
          this.decodedTiles += 1;
          this.decoders[info.decoder === "browser" ? "browser" : "engine"] += 1;
          if (info.ms !== undefined) this.decodeTimes.push(info.ms);
          if (this.decodeTimes.length > 2000) this.decodeTimes.shift();
          while (this.tiles.size > TILE_CACHE) {
            const oldest = this.tiles.keys().next().value;
            if (oldest === undefined) break;
            this.tiles.get(oldest)?.close();
            this.tiles.delete(oldest);
          }
          if (uid === this.uid) {
            this.loading.delete(next);
            // drawn with the next frame (one draw for the tiles arriving in between)
            if (since !== undefined) this.arrived.push(since);
            this.requestDraw();
          }
        })
        .catch((/** @type {unknown} */ error) => {
          this.error = error instanceof Error ? error.message : String(error);
        })
        .finally(() => {
          if (this.loading.delete(next)) this.pump();
          if (!this.pending && !this.loading.size && !this.frameRequested) {
            for (const resolve of this.settledWaiters.splice(0)) resolve();
          }
        });
    }
  }

  /** @returns {Promise<void>} resolves once every tile in view is drawn */
  settled() {
    if (!this.info || (!this.pending && !this.loading.size)) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** The scale bar, the lengths measured, the level shown. @param {number} width @param {number} height */
  drawOverlay(width, height) {
    const ctx = this.octx;
    ctx.clearRect(0, 0, width, height);
    if (!this.info) return;
    const bar = scaleBar(this.camera.zoom);
    const x = 16;
    const y = height - 24;
    ctx.fillStyle = "rgba(0, 0, 0, 0.55)";
    ctx.fillRect(x - 6, y - 20, bar.px + 12, 30);
    ctx.fillStyle = "#fff";
    ctx.fillRect(x, y, bar.px, 4);
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillText(this.info.calibrated ? bar.label : `${bar.label} (uncalibrated)`, x, y - 6);
    const lines = this.draft
      ? [...this.lengths, this.measure(this.draft.from, this.draft.to)]
      : this.lengths;
    ctx.strokeStyle = "#ffd400";
    ctx.fillStyle = "#ffd400";
    ctx.lineWidth = 2;
    for (const { points, um } of lines) {
      const [a, b] = points.map((p) => this.toScreen(p));
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.stroke();
      ctx.fillText(lengthText(um), b[0] + 6, b[1] - 6);
    }
  }

  /** @param {number[]} from @param {number[]} to µm */
  measure(from, to) {
    return { points: [from, to], um: Math.hypot(to[0] - from[0], to[1] - from[1]) };
  }

  /** A point in µm to CSS pixels of the view. @param {number[]} p */
  toScreen(p) {
    const { width, height } = this.size();
    const { center, zoom } = this.camera;
    return [(p[0] - center[0]) / zoom + width / 2, (p[1] - center[1]) / zoom + height / 2];
  }

  /** Client coordinates to µm. @param {number} cx @param {number} cy */
  toSlide(cx, cy) {
    const rect = this.canvas.getBoundingClientRect();
    const { width, height } = this.size();
    const { center, zoom } = this.camera;
    return [
      center[0] + (cx - rect.left - width / 2) * zoom,
      center[1] + (cy - rect.top - height / 2) * zoom,
    ];
  }

  /** @param {number} factor @param {number} [px] @param {number} [py] CSS point of the view */
  zoomBy(factor, px, py) {
    const { width, height } = this.size();
    this.camera = zoomAbout(this.camera, factor, px ?? width / 2, py ?? height / 2, width, height);
    this.requestDraw();
  }

  /** @param {number} dx @param {number} dy CSS pixels */
  panBy(dx, dy) {
    const { center, zoom } = this.camera;
    this.camera = { zoom, center: [center[0] - dx * zoom, center[1] - dy * zoom] };
    this.requestDraw();
  }

  /** state().slide */
  state() {
    const info = this.info;
    if (!info) return null;
    const level = this.level;
    return {
      level,
      levels: info.level.length,
      center: [...this.camera.center],
      zoom: this.camera.zoom,
      levelSpacing: [...info.level[level].spacing],
      width: info.width,
      height: info.height,
      spacing: [...info.spacing],
      calibrated: info.calibrated,
      view: [this.canvas.width, this.canvas.height],
      pending: this.pending + this.loading.size,
      tilesCached: this.tiles.size,
      decoders: { ...this.decoders },
      lengths: this.lengths.map(({ points, um }) => ({ points, um })),
      files: [...info.files],
      opticalPath: info.opticalPath,
      opticalPaths: info.paths.map((p) => ({ ...p })),
      focalPlane: info.focalPlane,
      focalPlanes: [...info.planes],
      error: this.error,
    };
  }

  /** What is drawn: the map at one pixel per CSS pixel; with overlays, the scale bar too. @param {boolean} overlays */
  pixels(overlays) {
    const { width, height } = this.canvas;
    if (!overlays)
      return {
        width,
        height,
        data: this.ctx.getImageData(0, 0, width, height).data,
        scaleBar: false,
      };
    const out = new OffscreenCanvas(width, height);
    const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (out.getContext("2d"));
    ctx.drawImage(this.canvas, 0, 0);
    ctx.drawImage(this.overlay, 0, 0);
    return { width, height, data: ctx.getImageData(0, 0, width, height).data, scaleBar: true };
  }

  /** The timings `npm run bench` reads. */
  stats() {
    return {
      drawTimes: [...this.drawTimes],
      arrivals: [...this.arrivals],
      decodedTiles: this.decodedTiles,
      decoders: { ...this.decoders },
      decodeTimes: [...this.decodeTimes],
    };
  }

  attach() {
    const canvas = this.overlay;
    /** @type {Map<number, {x: number, y: number}>} */
    const pointers = new Map();
    /** @type {{mode: "pan" | "length", x: number, y: number} | null} */
    let drag = null;
    /** @type {{distance: number} | null} */
    let pinch = null;
    canvas.addEventListener("pointerdown", (event) => {
      event.stopPropagation();
      if (!this.info) return;
      canvas.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = { distance: Math.hypot(a.x - b.x, a.y - b.y) };
        drag = null;
        this.draft = null;
        return;
      }
      const length = event.button === 0 && this.host.tool() === "length";
      drag = { mode: length ? "length" : "pan", x: event.clientX, y: event.clientY };
      if (length) {
        const at = this.toSlide(event.clientX, event.clientY);
        this.draft = { from: at, to: at };
      }
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!pointers.has(event.pointerId)) return;
      event.stopPropagation();
      const before = /** @type {{x: number, y: number}} */ (pointers.get(event.pointerId));
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && pointers.size >= 2) {
        const [a, b] = [...pointers.values()];
        const distance = Math.hypot(a.x - b.x, a.y - b.y);
        const rect = canvas.getBoundingClientRect();
        this.zoomBy(
          distance / Math.max(pinch.distance, 1),
          (a.x + b.x) / 2 - rect.left,
          (a.y + b.y) / 2 - rect.top,
        );
        pinch.distance = distance;
        return;
      }
      if (!drag) return;
      if (drag.mode === "pan") {
        this.panBy(event.clientX - before.x, event.clientY - before.y);
      } else if (this.draft) {
        this.draft = { from: this.draft.from, to: this.toSlide(event.clientX, event.clientY) };
        this.requestDraw();
      }
    });
    const end = (/** @type {PointerEvent} */ event) => {
      event.stopPropagation();
      pointers.delete(event.pointerId);
      if (pointers.size < 2) pinch = null;
      if (drag?.mode === "length" && this.draft) {
        const found = this.measure(this.draft.from, this.draft.to);
        this.draft = null;
        if (found.um > 0) this.host.onMeasure(found);
        this.requestDraw();
      }
      drag = null;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener(
      "wheel",
      (event) => {
        event.stopPropagation();
        event.preventDefault();
        if (!this.info) return;
        const rect = canvas.getBoundingClientRect();
        const factor = event.deltaY < 0 ? 1.25 : 1 / 1.25;
        this.zoomBy(factor, event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false },
    );
  }
}
