// A viewport's 3D mode (issue 14 item 4): the series' volume fetched once from the worker
// (volumeData, reduced in Python to what a 3D texture and software rendering take), the
// camera (azimuth, elevation, zoom), the preset and its window, and the gestures: drag
// (one finger) rotates, the wheel, a pinch or the Zoom tool zooms, right-drag or the W/L
// tool moves the transfer function's window; middle-drag and the Pan tool pan the picture
// as in 2D. The pane renders through frame() as it renders a 2D frame: while a gesture
// runs, coarser previews (fewer pixels, a coarser level of the texture, longer steps,
// adapted to keep about 15 frames a second); the full frame (every pixel, steps of a voxel,
// half a voxel for MIP) follows once it pauses. The rendering itself is render3d.js's
// (WebGL2 on the page). The SEGs over the series that are shown (the page's segment
// settings) are drawn in it: each one's label volume fetched once (segmentVolume, on the
// texture's grid) when first shown, and kept; a toggle or an opacity change only sets
// the palette (render3d.js says how a segment is drawn).
import {
  bounds,
  camera,
  finestSpacing,
  imagePlane,
  normalAngle,
  patientToTexture,
} from "./camera3d.js";
import {
  PRESET_NAMES,
  defaultWindow,
  preset3d,
  segmentPalette,
  transferTable,
} from "./presets3d.js";
import { SEG_SLOTS, VolumeRenderer } from "./render3d.js";
import { errorText, volumeWarnings } from "./engine-text.js";
import { defaultSetting } from "./segment-layer.js";

/** @typedef {import("./pane.js").Pane} Pane */
/** @typedef {import("../rpc/protocol.js").VolumeData} VolumeData */
/** @typedef {import("../rpc/protocol.js").SegmentVolume} SegmentVolume */
/**
 * A SEG's label volume as kept: its record and its voxels' segment indices.
 * @typedef {Omit<SegmentVolume, "labels"> & {labels: Uint8Array | Uint16Array}} KeptLabels
 */
/**
 * What setView takes for 3D.
 * @typedef {{mode: "3d", preset?: string, azimuth?: number|null, elevation?: number|null,
 *            zoom?: number|null}} View3DRequest
 */

/** the most voxels asked of the worker: 256³ (see lightbox.volume.texture) */
export const MAX_VOXELS = 256 ** 3;
/** the largest side of a rendering in pixels (a larger viewport is drawn scaled up) */
export const MAX_RENDER = 512;
/** how long after a gesture's last step the view keeps drawing previews (ms) */
const PREVIEW_MS = 400;
/**
 * What a preview may cost (ms). Software WebGL (no GPU) casts some ten million samples a
 * second here, so while a gesture runs the view climbs down this ladder, by the last
 * preview's time, to keep about 15 frames a second: every `step`-th pixel, from the
 * texture's level `lod` (blocks of 2^lod voxels a side) in steps of 2^lod voxels.
 */
const PREVIEW_BUDGET_MS = 50;
const PREVIEWS = [
  { step: 2, lod: 1 },
  { step: 3, lod: 1 },
  { step: 2, lod: 2 },
  { step: 3, lod: 2 },
  { step: 4, lod: 2 },
  { step: 4, lod: 3 },
  { step: 6, lod: 3 },
];
/** degrees of rotation per CSS pixel dragged */
const DEGREES_PER_PIXEL = 0.5;

/** @type {VolumeRenderer | null} one WebGL2 context for the page, made on first need */
let shared = null;
/** @type {View3D | null} whose volume is on it (panes in 3D share the one context) */
let uploaded = null;

/** the frame being drawn on it: one at a time (a full frame is drawn in bands) */
let drawing = Promise.resolve();

function renderer() {
  shared ??= new VolumeRenderer();
  return shared;
}

/** rows of a full frame drawn between checks for a newer gesture */
const BAND_ROWS = 32;

export class View3D {
  /** @param {Pane} pane */
  constructor(pane) {
    this.pane = pane;
    this.preset = "bone";
    this.azimuth = 0;
    this.elevation = 0;
    this.zoom = 1;
    /** @type {Map<string, [number, number]>} the user's window of each preset */
    this.windows = new Map();
    /** @type {(Omit<VolumeData, "voxels"> & {uid: string}) | null} the grid, voxels uploaded */
    this.grid = null;
    /** @type {Int16Array | Float32Array | null} the voxels, kept to upload again when
     * another pane's 3D view took the context */
    this.values = null;
    /** @type {[number, number] | null} the series' window when 3D began (MIP starts from it) */
    this.seriesWindow = null;
    const info = pane.info;
    /** the on-image text's record of the 2D view 3D began from: patient, study, series */
    this.description = { ...(info?.view ?? {}) };
    if (info && info.windowCenter !== null && info.windowWidth !== null) {
      this.seriesWindow = [info.windowCenter, info.windowWidth];
    }
    /** @type {Map<string, Promise<KeptLabels>>} each SEG's label volume, by its UID */
    this.labels = new Map();
    /** @type {import("../rpc/protocol.js").SegmentOnFrame[]} the segments of the shown
     * SEGs that the last frame's grid holds (the pane's legend) */
    this.drawn = [];
    /** why a shown SEG is not in the last frame (it could not be read), or "" */
    this.failed = "";
    /** the rung of PREVIEWS the next preview takes (adapted to how long the last took) */
    this.rung = 2;
    this.detach = attachGestures(this);
  }

  /** @param {View3DRequest} view */
  set(view) {
    const name = view.preset ?? this.preset;
    preset3d(name); // rejects an unknown preset
    for (const [key, value] of /** @type {const} */ ([
      ["azimuth", view.azimuth],
      ["elevation", view.elevation],
      ["zoom", view.zoom],
    ])) {
      if (value !== undefined && value !== null && !Number.isFinite(value)) {
        throw new RangeError(`${key} must be a number of degrees, not ${value}`);
      }
    }
    if (view.zoom !== undefined && view.zoom !== null && !(view.zoom > 0)) {
      throw new RangeError(`zoom must be positive, not ${view.zoom}`);
    }
    this.preset = name;
    this.azimuth = normalAngle(view.azimuth ?? this.azimuth);
    this.elevation = Math.max(-90, Math.min(90, view.elevation ?? this.elevation));
    this.zoom = view.zoom ?? this.zoom;
  }

  /** What state().view says. */
  state() {
    return {
      mode: "3d",
      preset: this.preset,
      azimuth: this.azimuth,
      elevation: this.elevation,
      zoom: this.zoom,
    };
  }

  /** The window of the transfer function now. @returns {[number, number]} */
  window() {
    const grid = this.grid;
    const user = this.windows.get(this.preset);
    if (user) return user;
    if (!grid) return [0, 1];
    const series = grid.windowCenter !== null && grid.windowWidth !== null;
    const fallback = series
      ? /** @type {[number, number]} */ ([grid.windowCenter, grid.windowWidth])
      : null;
    return defaultWindow(
      preset3d(this.preset),
      grid.modality,
      grid.range,
      this.seriesWindow ?? fallback,
    );
  }

  /** @param {number} center @param {number} width */
  setWindow(center, width) {
    this.windows.set(this.preset, [center, width]);
    return this.pane.changed();
  }

  clearWindow() {
    this.windows.delete(this.preset);
    return this.pane.changed();
  }

  /** The volume on the GPU, fetched from the worker the first time. */
  async ensureVolume() {
    const pane = this.pane;
    const uid = pane.seriesInfo?.uid ?? "";
    const gl = renderer(); // throws NoWebGL2Error before anything is fetched
    if (!this.grid || !this.values || this.grid.uid !== uid) {
      const data = await pane.host.client.call("volumeData", {
        series: pane.series,
        maxVoxels: MAX_VOXELS,
        maxDim: gl.maxDim,
      });
      const { voxels, ...grid } = data;
      this.values = data.dtype === "int16" ? new Int16Array(voxels) : new Float32Array(voxels);
      this.grid = { ...grid, uid };
      this.labels.clear();
      uploaded = null;
    }
    if (uploaded !== this) {
      gl.upload({ ...this.grid, voxels: this.values });
      uploaded = this;
    }
    return this.grid;
  }

  /**
   * The SEGs over the series that are shown, at most SEG_SLOTS (the first listed), each
   * with its setting.
   * @returns {{seg: {uid: string}, setting: import("../rpc/protocol.js").OverlaySetting}[]}
   */
  shownSegs() {
    const chosen = this.pane.host.segmentSettings?.() ?? [];
    return (this.pane.seriesInfo?.segmentations ?? [])
      .map((seg) => ({
        seg,
        setting: chosen.find((c) => c.uid === seg.uid) ?? defaultSetting("SEG", seg.uid),
      }))
      .filter(({ setting }) => setting.visible && setting.opacity > 0)
      .slice(0, SEG_SLOTS);
  }

  /**
   * The shown SEGs' label volumes on the GPU (each fetched from the worker once) and the
   * palette of their colours and opacities (hidden segments transparent).
   * @param {number} maxDim the limit the volume was fetched with
   */
  async ensureSegments(maxDim) {
    const pane = this.pane;
    const gl = renderer();
    const shown = this.shownSegs();
    this.failed = "";
    const found = await Promise.all(
      shown.map(({ seg }) => {
        let asked = this.labels.get(seg.uid);
        if (!asked) {
          asked = pane.host.client
            .call("segmentVolume", {
              series: pane.series,
              uid: seg.uid,
              maxVoxels: MAX_VOXELS,
              maxDim,
            })
            .then(({ labels, ...record }) => ({
              ...record,
              labels: record.dtype === "uint16" ? new Uint16Array(labels) : new Uint8Array(labels),
            }));
          this.labels.set(seg.uid, asked);
        }
        // A SEG that cannot be made a label volume is left out of the rendering and said
        // (the failure kept with the volume: not asked again each frame).
        return asked.catch((error) => {
          this.failed = errorText(error);
          return null;
        });
      }),
    );
    const kept = shown.flatMap((item, k) => {
      const volume = found[k];
      return volume ? [{ ...item, volume }] : [];
    });
    /** @type {Uint8Array[]} */
    const palettes = [];
    this.drawn = [];
    kept.forEach(({ volume, setting, seg }, k) => {
      const key = `${this.grid?.uid}|${volume.uid}`;
      if (gl.labelsIn(k) !== key) gl.uploadLabels(k, key, volume);
      const { entry, drawn } = segmentPalette(seg.uid, volume.segments, setting);
      this.drawn.push(...drawn);
      palettes.push(entry);
    });
    gl.setPalette(palettes);
  }

  /** The rendering of the current state, as the pane takes a frame: {info, pixels}. */
  frame() {
    const next = drawing.then(() => this.render());
    drawing = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  /** @returns {Promise<{info: any, pixels: ArrayBuffer}>} */
  async render() {
    const pane = this.pane;
    const grid = await this.ensureVolume();
    const gl = renderer();
    await this.ensureSegments(gl.maxDim);
    const ratio = window.devicePixelRatio || 1;
    const fit = Math.min(
      1,
      MAX_RENDER / Math.max(pane.root.clientWidth * ratio, pane.root.clientHeight * ratio, 1),
    );
    const width = Math.max(16, Math.round(pane.root.clientWidth * ratio * fit));
    const height = Math.max(16, Math.round(pane.root.clientHeight * ratio * fit));
    const preview = performance.now() < pane.previewUntil;
    const { step, lod } = preview ? PREVIEWS[this.rung] : { step: 1, lod: 0 };
    const started = performance.now();
    const cam = camera(this.azimuth, this.elevation);
    const full = imagePlane(grid, cam, width, height, this.zoom);
    const plane = {
      ...full,
      columns: Math.ceil(width / step),
      rows: Math.ceil(height / step),
      rowSpacing: full.rowSpacing * step,
      columnSpacing: full.columnSpacing * step,
    };
    const preset = preset3d(this.preset);
    const [center, widthOf] = this.window();
    const finest = finestSpacing(grid);
    const request = /** @type {import("./render3d.js").DrawRequest} */ ({
      plane,
      dir: cam.dir,
      depth: 2 * bounds(grid).radius,
      // full frames: half-voxel steps for MIP (its maximum dips less between samples),
      // one-voxel steps for the composite presets (their opacity is step-corrected)
      step: preview ? finest * 2 ** lod : preset.mip ? finest / 2 : finest,
      lod,
      reference: finest,
      window: [center, widthOf],
      table: tableOf(this.preset),
      mip: preset.mip,
      shade: preset.shade,
      invert: pane.invert,
    });
    const toTexture = patientToTexture(grid);
    const resumed = () => performance.now() < pane.previewUntil; // a gesture came back
    const pixels = preview
      ? gl.draw(request, toTexture)
      : await gl.drawInBands(request, toTexture, BAND_ROWS, resumed);
    if (!pixels) return this.render(); // abandoned for the gesture: a preview now
    if (preview) this.adaptPreview(performance.now() - started);
    const user = this.windows.has(this.preset);
    const info = {
      series: pane.series,
      frame: pane.frame,
      frames: pane.seriesInfo?.frames ?? 0,
      width,
      height,
      step,
      file: pane.info?.file ?? "",
      photometric: "RGB",
      windows: [],
      windowCenter: center,
      windowWidth: widthOf,
      windowSource: user ? "user" : `3D ${preset.label}`,
      warning: volumeWarnings(grid.volume.warnings) || this.failed || undefined,
      view: {
        ...this.description,
        orientation: null,
        sliceLocation: null,
        sliceThickness: null,
        calibration: null,
      },
      view3d: this.state(),
      reslice: full,
      volume: grid.volume,
      segments3d: this.drawn,
    };
    return { info, pixels: pixels.buffer };
  }

  /** @param {number} ms what the last preview took */
  adaptPreview(ms) {
    if (ms > PREVIEW_BUDGET_MS * 1.3) this.rung = Math.min(PREVIEWS.length - 1, this.rung + 1);
    else if (ms < PREVIEW_BUDGET_MS * 0.5) this.rung = Math.max(0, this.rung - 1);
  }

  /** A gesture moved the view: draw previews for a moment, then the full frame. */
  moved() {
    this.pane.previewUntil = performance.now() + PREVIEW_MS;
    void this.pane.changed().catch(() => {});
  }

  close() {
    this.detach();
    if (uploaded === this) uploaded = null;
    this.values = null;
    this.labels.clear();
  }
}

/** @type {Map<string, Uint8Array>} */
const tables = new Map();
/** @param {string} name */
function tableOf(name) {
  let table = tables.get(name);
  if (!table) {
    table = transferTable(preset3d(name));
    tables.set(name, table);
  }
  return table;
}

export { PRESET_NAMES };

/**
 * Listen to the pane's pointer and wheel events before its 2D handlers (capture phase)
 * and take those that 3D handles. Returns the function that stops listening.
 * @param {View3D} view
 */
function attachGestures(view) {
  const root = view.pane.root;
  /** @type {Map<number, {x: number, y: number}>} */
  const pointers = new Map();
  /** @type {null | {mode: string, x: number, y: number, start: any}} */
  let drag = null;
  /** @type {null | {distance: number, zoom: number}} */
  let pinch = null;

  const spread = () => {
    const [a, b] = [...pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y);
  };

  const down = (/** @type {PointerEvent} */ event) => {
    const tool = view.pane.host.tool();
    const mode =
      event.button === 2 || tool === "wl"
        ? "wl"
        : event.button === 1 || tool === "pan"
          ? "pan"
          : tool === "zoom"
            ? "zoom"
            : "rotate";
    if (mode === "pan") return; // the 2D handler pans the picture
    event.stopPropagation();
    event.preventDefault();
    view.pane.host.onActivate(view.pane);
    try {
      root.setPointerCapture(event.pointerId);
    } catch {
      // a synthetic pointer cannot be captured; the drag still works
    }
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2) {
      pinch = { distance: Math.max(spread(), 1), zoom: view.zoom };
      drag = null;
      return;
    }
    const start =
      mode === "wl"
        ? view.window()
        : { azimuth: view.azimuth, elevation: view.elevation, zoom: view.zoom };
    drag = { mode, x: event.clientX, y: event.clientY, start };
  };
  const move = (/** @type {PointerEvent} */ event) => {
    if (!pointers.has(event.pointerId)) return;
    event.stopPropagation();
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && pointers.size >= 2) {
      view.zoom = Math.min(Math.max((pinch.zoom * spread()) / pinch.distance, 0.2), 20);
      view.moved();
      return;
    }
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (drag.mode === "rotate") {
      view.azimuth = normalAngle(drag.start.azimuth - dx * DEGREES_PER_PIXEL);
      view.elevation = Math.max(-90, Math.min(90, drag.start.elevation + dy * DEGREES_PER_PIXEL));
    } else if (drag.mode === "zoom") {
      view.zoom = Math.min(Math.max(drag.start.zoom * Math.exp(-dy / 200), 0.2), 20);
    } else if (drag.mode === "wl") {
      const [center, width] = drag.start;
      const scale = Math.max(width, 1) / 256;
      view.windows.set(view.preset, [center + dy * scale, Math.max(1, width + dx * scale)]);
    }
    view.moved();
  };
  const up = (/** @type {PointerEvent} */ event) => {
    if (!pointers.delete(event.pointerId)) return;
    event.stopPropagation();
    if (pointers.size < 2) pinch = null;
    drag = null;
  };
  const wheel = (/** @type {WheelEvent} */ event) => {
    event.stopPropagation();
    event.preventDefault();
    view.zoom = Math.min(Math.max(view.zoom * Math.exp(-event.deltaY / 500), 0.2), 20);
    view.moved();
  };
  /** @type {[string, any][]} */
  const listeners = [
    ["pointerdown", down],
    ["pointermove", move],
    ["pointerup", up],
    ["pointercancel", up],
    ["wheel", wheel],
  ];
  for (const [name, fn] of listeners)
    root.addEventListener(name, fn, { capture: true, passive: false });
  return () => {
    for (const [name, fn] of listeners) root.removeEventListener(name, fn, { capture: true });
  };
}
