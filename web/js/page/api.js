// window.lightbox: the automation contract (the browser tests, `npm run bench` and the
// kiosk drive the page through it). The UI calls the same functions.
import { deidEngine } from "./deid-engine.js";
import { app, currentLayout, pane } from "./app.js";
import { setHidePatient, setInvert, setTool } from "./controls.js";
import { setKeyImagesOnly } from "./keyimages.js";
import { busyClient, client, engine, ready } from "./engine.js";
import { activate, setLayout } from "./layout.js";
import { mprState, setCrosshair, turnFreePlane } from "./mpr.js";
import { measurementsCsv } from "./measurements.js";
import { openCase, openDemo } from "./hosted.js";
import { startCine, stopCine } from "./cine.js";
import { closeAll, large, whole } from "./open.js";
import { forget, keptStudies, keptStorage, openKept, openOwn } from "./keep.js";
import { copyImage, preparePrint } from "./print.js";
import { setInterpolation } from "./sharpness.js";
import { consoleApi } from "./console.js";
import { language } from "../i18n/i18n.js";
import { setLanguage } from "./language.js";
import { documentEntry, documentState, openDocument, select } from "./report.js";
import { overlayState, segmentStats, setOverlay } from "./segments.js";
import { applyPresentation, measurementOverlays, presentationState } from "./presentations.js";

/** The active pane's state, once what is on screen is its latest state. */
export async function state() {
  const p = pane();
  await p.drawn().catch(() => {}); // the state of what is on screen
  const series = p.seriesInfo;
  const waveform = series?.kind === "waveform" ? (p.waveform?.state() ?? null) : null;
  const slide = series?.kind === "slide" ? (p.slide?.state() ?? null) : null;
  const keyImages = series?.keyImages ?? [];
  const keyOnly = app.keyImagesOnly && keyImages.length > 0;
  const document = documentState();
  return {
    series: document ? app.catalog.series.length + document.index : p.series,
    frame: p.frame,
    frames: series ? (keyOnly ? keyImages.length : series.frames) : 0,
    keyImages,
    keyImagesOnly: app.keyImagesOnly,
    keyImage: keyImages.includes(p.frame) ? { titles: p.keyTitles } : null,
    windowCenter: p.info?.windowCenter ?? null,
    windowWidth: p.info?.windowWidth ?? null,
    windowSource: p.info?.windowSource ?? null,
    invert: p.invert,
    zoom: p.zoom,
    pan: { ...p.pan },
    rotation: p.rotation,
    flipH: p.flipH,
    flipV: p.flipV,
    tool: app.tool,
    interpolation: app.interpolation,
    smoothed: p.smoothed,
    layout: app.mpr ? "mpr" : currentLayout(),
    pane: app.active,
    file: p.info?.file ?? waveform?.file ?? null,
    kind: document ? "document" : (series?.kind ?? null),
    document,
    waveform,
    slide,
    decoder: p.info?.decoder ?? null,
    view: p.view3d ? p.view3d.state() : p.view ? (p.info?.volumeView ?? null) : null,
    reslice: p.view || p.view3d ? (p.info?.reslice ?? null) : null,
    sampler: p.view ? (p.info?.sampler ?? null) : null,
    volume: p.view || p.view3d ? (p.info?.volume ?? null) : null,
    mpr: mprState(),
    overlays: [...overlayState(), ...measurementOverlays()],
    presentation: presentationState(),
    video: p.videoState(),
    measurements: app.measurements.map((m) => ({
      id: m.id,
      kind: m.kind,
      label: m.label,
      frame: m.frame,
      where: m.where ?? `image ${m.frame + 1}`,
      points: m.points.map(({ x, y }) => [x, y]),
      result: m.result,
    })),
  };
}

/**
 * The active pane's pixels as drawn (a copy), or null; with `{overlays: true}`, the
 * segmentation layer composited over them on the image grid as on screen.
 * @param {{overlays?: boolean}} [options]
 */
async function renderedFrame(options = {}) {
  const p = pane();
  await p.drawn().catch(() => {});
  if (p.seriesInfo?.kind === "waveform") {
    const plot = p.waveform?.info ? p.waveform.pixels() : null;
    return plot && { ...plot, data: new Uint8ClampedArray(plot.data) };
  }
  if (p.seriesInfo?.kind === "slide") {
    if (!p.slide?.info) return null;
    await p.slide.settled();
    const map = p.slide.pixels(Boolean(options.overlays));
    return { ...map, data: new Uint8ClampedArray(map.data) };
  }
  if (!p.shown) return null;
  return {
    width: p.shown.width,
    height: p.shown.height,
    data: options.overlays
      ? p.annotations.composite(
          new ImageData(p.segments.composite(p.shown), p.shown.width, p.shown.height),
        )
      : new Uint8ClampedArray(p.shown.data),
  };
}

/**
 * Show a view of the active series' volume (issue 14 item 6): `{plane: "axial" |
 * "coronal" | "sagittal" | "oblique", normal?, position?, slab?, projection?}`; null or
 * `{plane: "acquired"}` returns to the acquired images; `{mode: "3d", preset, azimuth?,
 * elevation?, zoom?}` renders the volume in 3D (viewer/view3d.js). Rejects, changing
 * nothing, for a series that is not a volume (with the reason) or a view that cannot be
 * shown (3D without WebGL2: the reason stays in the viewport).
 * @param {import("../rpc/protocol.js").VolumeView
 *   | import("../viewer/view3d.js").View3DRequest | null} view
 */
export async function setView(view) {
  const p = pane();
  if (!p.seriesInfo) throw new Error("nothing is open");
  if (view && "mode" in view && view.mode === "3d") {
    await client.ready;
    const volume = await busyClient.call("volumeInfo", { series: p.series });
    if (!volume.dims) throw new Error(volume.warnings[0]?.message ?? "not a volume");
    return p.show3d(view);
  }
  p.leave3d();
  if (!view || !("plane" in view) || view.plane === "acquired") return p.showView(null);
  // A pane already showing a view of the series' volume knows it is one: no second ask.
  if (!p.view || !p.info?.volume?.dims) {
    await client.ready;
    const volume = await busyClient.call("volumeInfo", { series: p.series });
    if (!volume.dims) throw new Error(volume.warnings[0]?.message ?? "not a volume");
  }
  return p.showView(view);
}

/**
 * Change the active waveform plot's window and scales (issue 15 item 3): `{start?}` (ms from
 * the first sample), `{pxPerMs?, pxPerMv?}` (plot pixels; the default is 25 mm/s and 10
 * mm/mV at 4 pixels a mm), `{group?}` (the multiplex group, from 0). Resolves once drawn.
 * @param {{start?: number, pxPerMs?: number, pxPerMv?: number, group?: number}} view
 */
export async function setWaveformView(view) {
  const p = pane();
  if (p.seriesInfo?.kind !== "waveform" || !p.waveform) throw new Error("no waveform is shown");
  p.waveform.set(view);
  await p.changed();
}

/**
 * Change the active slide's view (issue 15 item 2): `{center?: [x, y]}` in µm from the
 * top-left of the finest level, `{zoom?}` in µm per CSS pixel, `{level?}` one pixel of
 * that level per CSS pixel, `{opticalPath?}` (an identifier of `state().slide.opticalPaths`)
 * and `{focalPlane?}` (an index of `state().slide.focalPlanes`) what is shown. Resolves once
 * every tile in view is drawn.
 * @param {{center?: number[], zoom?: number, level?: number, opticalPath?: string,
 *          focalPlane?: number}} view
 */
export async function setSlideView(view) {
  const p = pane();
  await p.drawn().catch(() => {});
  if (p.seriesInfo?.kind !== "slide" || !p.slide?.info) throw new Error("no slide is shown");
  if (view.opticalPath !== undefined || view.focalPlane !== undefined)
    await p.slide.choose({ opticalPath: view.opticalPath, focalPlane: view.focalPlane });
  p.slide.set(view);
  await p.slide.settled();
}

/**
 * Define window.lightbox.
 * @param {{deidentify: (options: Record<string, unknown>, scope?: string) => Promise<unknown>}} deid
 */
export function exposeApi(deid) {
  const api = {
    ready,
    /**
     * What became of the viewer's engine (issue 19 item 4): `{restarts, restarting,
     * stopped}`, stopped the last reason it stopped (null while it never did).
     */
    engine: () => ({ ...engine }),
    /** @param {FileList | File[]} files @param {{keep?: boolean}} [options] */
    open: (files, options) => openOwn(files, options),
    /** Remembered studies (issue 18 item 3). */
    keptStudies,
    openKept,
    forget,
    keptStorage,
    state,
    select,
    setView,
    setWaveformView,
    setSlideView,
    /** The slide view's timings (draw ms, tile arrival ms): for `npm run bench`. */
    slideStats: () => pane().slide?.stats() ?? null,
    /**
     * Files of this many bytes or more are handed to the worker as File objects and read a
     * range at a time (a slide: header, tile offsets, tiles shown); with a number, set it.
     * @param {number} [bytes]
     */
    largeFileBytes: (bytes) => {
      if (bytes !== undefined) large.bytes = Math.max(0, bytes);
      return large.bytes;
    },
    /**
     * The bytes of files read whole the engine holds at most (beyond it, each file is
     * handed as a File, its frames read when shown); with a number, set it.
     * @param {number} [bytes]
     */
    wholeFileBudget: (bytes) => {
      if (bytes !== undefined) whole.budget = Math.max(0, bytes);
      return whole.budget;
    },
    /** @param {number} center @param {number} width */
    setWindow: (center, width) => pane().setWindow(center, width),
    /** @param {boolean} [on] */
    setInvert: (on) => setInvert(on),
    renderedFrame,
    /** Every object open: the series, then the documents as `kind: "document"` entries. */
    catalog: async () => {
      await client.ready;
      const catalog = await client.call("catalog");
      const documents = (catalog.documents ?? []).map(documentEntry);
      return { ...catalog, series: [...catalog.series, ...documents] };
    },
    closeAll,
    openDemo,
    openCase,
    /**
     * Milliseconds to decode a frame through Python (pydicom, the codec plugin, the codec),
     * uncached, `runs` times: for `npm run bench`.
     * @param {number} series @param {number} frame @param {number} runs
     * @returns {Promise<number[]>}
     */
    decodeTimes: async (series, frame, runs) => {
      await client.ready;
      return client.call("decodeTimes", { series, frame, runs });
    },
    /** Frames drawn by every viewport so far, coarse previews included (synchronous). */
    framesDrawn: () => app.panes.reduce((sum, p) => sum + p.framesDrawn, 0),
    /** Worker memory: wasm heap, file bytes, decoded-frame cache (what `npm run bench` reads). */
    stats: async () => {
      await client.ready;
      return client.call("stats");
    },
    /** @param {number} index @returns {Promise<string>} the latest document's blob URL */
    openDocument: (index) => openDocument((app.catalog.documents ?? [])[index]),
    setLayout,
    /** Play (a stack's frames; a video; a 3D view turning: the rotating MIP) and stop. */
    startCine,
    stopCine,
    setOverlay,
    /** @param {string | null} uid apply a presentation state (its SOP Instance UID), or none */
    applyPresentation,
    /** @param {boolean} on only the key images are scrolled through (state().frames counts them) */
    setKeyImagesOnly: (on) => setKeyImagesOnly(on),
    /** @param {string} uid the statistics of a SEG's segments over the active series */
    segmentStats,
    /** MPR: move the crosshair to a point [x, y, z] (patient mm). */
    setCrosshair,
    /** MPR: turn the free plane by `degrees` about `axis` ([x, y, z]) through the crosshair. */
    turnFreePlane,
    /** @param {number} index */
    activate,
    setTool,
    measurementsCsv,
    deidentify: deid.deidentify,
    /** The de-identification's engine (a second worker): state, files done of all, memory. */
    deidEngine: () => ({ ...deidEngine }),
    /** Find burned-in text on the active image: each box becomes a Rect; resolves to the count. */
    findText: () => pane().findText(),
    setHidePatient,
    /** Sharp (default) or smooth pixels (issue 18 item 6). */
    setInterpolation,
    /** Lay out the print sheet without the print dialog (issue 18 item 7). */
    preparePrint,
    copyImage,
    /** The Python console (issue 21): run(code) → {output, error}, interrupt, open, close. */
    console: consoleApi,
    /** The interface's language (issue 18 item 4): en, de, fr, es or ar; resolves once shown. */
    setLanguage,
    /** The language shown (its code). */
    language,
  };
  Object.defineProperty(window, "lightbox", { value: Object.freeze(api), enumerable: true });
}
