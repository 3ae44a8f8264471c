// One viewport: its view state, what it asks the worker to render (through its render
// queue, render-queue.js: a window/level drag on a large image asks for coarse previews)
// and the image canvas, under the measurement layer (layer.js) and the on-image text
// (overlay.js). Pointer and wheel gestures are pointer.js's. Zoom, pan, rotate and flip only
// redraw; they never ask the worker for pixels.
import { applyMatrix, clampFrame, invertMatrix, matrixScale, viewMatrix } from "./interaction.js";
import { drawLayer } from "./layer.js";
import { UNCALIBRATED, measure } from "./measure.js";
import { createTextBoxes, overlayText, paintTextBoxes, planeText } from "./overlay.js";
import { writeTextBoxes } from "./overlay.js";
import { attachPointer } from "./pointer.js";
import { RenderQueue } from "./render-queue.js";
import { SegmentLayer, defaultSetting, drawnOver } from "./segment-layer.js";
import { AnnotationLayer } from "./annotation-layer.js";
import { videoStream } from "./video.js";
import { VideoBar } from "./video-bar.js";
import { caliperText } from "./waveform-math.js";
import { WaveformView } from "./waveform.js";
import { SlideView } from "./slide.js";
import { View3D } from "./view3d.js";
import { errorText, fileWarnings, pageSaid, saidError, volumeWarnings } from "./engine-text.js";
import { t } from "../i18n/i18n.js";

/** @typedef {import("../rpc/protocol.js").FrameInfo} FrameInfo */
/** @typedef {import("./interaction.js").Point} Point */
/** @typedef {import("./interaction.js").Matrix} Matrix */
/** @typedef {import("./measure.js").Measurement} Measurement */
/**
 * What a pane needs from the page that holds it.
 * @typedef {{client: import("../rpc/client.js").Client,
 *            catalog: () => import("../rpc/protocol.js").Catalog,
 *            tool: () => string, showInfo: () => boolean, hidePatient: () => boolean,
 *            showOverlays: () => boolean, smooth?: () => boolean,
 *            segmentSettings?: () => import("../rpc/protocol.js").OverlaySetting[],
 *            keyImagesOnly?: () => boolean,
 *            measurements: Measurement[], onActivate: (pane: Pane) => void,
 *            onChange: (pane: Pane) => void, onError: (message: string) => void,
 *            onView?: () => void, onPresentedArea?: (pane: Pane, view: any) => void,
 *            nextId: () => number, guides?: GuideHost}} PaneHost
 * `onPresentedArea`: an applied presentation state gives the frame now shown another
 * displayed area (and its spatial view) than the one the pane shows (page/presentations.js).
 * The MPR layout's guides (page/mpr.js): what a pane draws of the other planes, what a
 * pointer at image point `at` takes hold of, and a drag of it from `from` to `at`.
 * @typedef {{lines: (pane: Pane) => import("./layer.js").Guide[],
 *            grip: (pane: Pane, at: Point) => any,
 *            drag: (pane: Pane, held: any, from: Point, at: Point) => any}} GuideHost
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
    /** @type {(() => string) | null} the message shown again in another language, if any */
    this.retell = null;
    // An engine's message in the viewport follows the page's language (page/language.js).
    document.body.addEventListener("lightbox-language", () => {
      if (this.retell && !this.message.hidden) this.message.textContent = this.retell();
    });
    root.append(this.canvas, this.layer, ...Object.values(this.text), this.message);
    const ctx = this.canvas.getContext("2d");
    const layerCtx = this.layer.getContext("2d");
    if (!ctx || !layerCtx) throw new Error("this browser cannot draw on a canvas");
    this.ctx = ctx;
    this.layerCtx = layerCtx;
    /** the segmentations over the frame (issue 16 item 4), between image and measurements */
    this.segments = new SegmentLayer(root, this.layer);
    /** presentation states' and SR measurements' drawings (issue 16 items 1, 3) */
    this.annotations = new AnnotationLayer(root, this.layer);
    /**
     * The presentation state applied (page/presentations.js): its UID, label, the series
     * it was applied on, and what it says of the view once rendered.
     * @type {{uid: string, label: string, series: string, view?: any} | null}
     */
    this.presentation = null;
    /** the displayed area (JSON) page/presentations.js last applied, to tell a new one */
    this.appliedArea = /** @type {string | null} */ (null);
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
    /** Whether the image was last drawn smoothed (sharp blocks otherwise). */
    this.smoothed = false;
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
    /** @type {WaveformView | null} the plot, made when a waveform is first shown */
    this.waveform = null;
    /** @type {SlideView | null} the slide map, made when a slide is first shown */
    this.slide = null;
    /** @type {View3D | null} the 3D view of the series' volume (view3d.js), or null */
    this.view3d = null;

    this.queue = new RenderQueue(
      () => this.render(),
      () => this.host.onChange(this),
    );

    /** @type {import("./video.js").VideoStream | null} the video shown, when it is one */
    this.video = null;
    this.videoBar = new VideoBar(root, {
      frame: () => this.frame,
      frames: () => this.seriesInfo?.frames ?? 1,
      frameTime: () => this.video?.info.frameTime ?? 100,
      show: (frame) => this.select(this.series, frame),
      busy: () => this.inFlight,
      snapshot: () => void this.saveSnapshot(),
      fullscreen: () =>
        void (
          document.fullscreenElement ? document.exitFullscreen() : this.root.requestFullscreen()
        ).catch(() => {}),
    });

    new ResizeObserver(() => {
      this.draw();
      if (this.waveform?.visible) void this.changed().catch(() => {});
    }).observe(root);
    attachPointer(this);
  }

  /** Whether the pane shows a video. */
  get isVideo() {
    return this.seriesInfo?.kind === "video";
  }

  /** The video's state (issue 15): frame (0-based), frames, time (s) and playing; or null. */
  videoState() {
    if (!this.isVideo || !this.video) return null;
    const frames = this.seriesInfo?.frames ?? 1;
    const time = (this.frame * this.video.info.frameTime) / 1000;
    return { frame: this.frame, frames, time, playing: this.videoBar.playing };
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
      this.videoBar.pause();
      this.video = null;
      this.view = null;
      this.waveform?.reset(series);
      this.leave3d();
      this.previewUntil = 0; // a drag's previews were for the image it dragged on
      this.presentation = null; // a presentation state is applied to its own series only
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
    this.frame = this.keyFrame(clampFrame(frame, info.frames));
    this.host.onChange(this);
    return this.changed();
  }

  /**
   * The frame to show for `frame` while only key images are shown (issue 16 item 2): the
   * first key image at or past it going forward, at or before it going back (the first or
   * last key image past the ends); `frame` itself otherwise.
   * @param {number} frame
   */
  keyFrame(frame) {
    const keys = this.seriesInfo?.keyImages ?? [];
    if (!this.host.keyImagesOnly?.() || !keys.length || keys.includes(frame)) return frame;
    if (frame > this.frame) return keys.find((k) => k >= frame) ?? keys[keys.length - 1];
    if (frame < this.frame) return [...keys].reverse().find((k) => k <= frame) ?? keys[0];
    return keys.reduce((a, b) => (Math.abs(b - frame) < Math.abs(a - frame) ? b : a));
  }

  /** The KOS titles that flag the frame shown (empty when it is not a key image). */
  get keyTitles() {
    return (this.seriesInfo?.keyObjects ?? [])
      .filter((k) => k.frames.includes(this.frame))
      .map((k) => k.title);
  }

  /**
   * Show a view of the series' volume, or the acquired images (null). On failure, the
   * pane goes back to what it showed and the promise rejects.
   * @param {import("../rpc/protocol.js").VolumeView | null} view
   */
  async showView(view) {
    this.leave3d();
    const before = { view: this.view, frame: this.frame };
    this.view = view ? { ...view } : null;
    // While a view is shown the frame stays put: a step of n frames moves n voxels.
    if (view) this.frame = Math.floor((this.seriesInfo?.frames ?? 1) / 2);
    try {
      await this.changed();
    } catch (error) {
      Object.assign(this, before);
      await this.changed().catch(() => {});
      throw error;
    }
  }

  /** What the measurements of the image shown are kept by: its frame, or the view's plane. */
  get viewKey() {
    const shown = this.view ? this.info?.volumeView : null;
    if (!shown) return null;
    const normal = shown.normal.map((/** @type {number} */ v) => v.toFixed(4)).join(",");
    return `${shown.plane}|${normal}|${shown.position.toFixed(3)}|${shown.slab}|${shown.projection}`;
  }

  clear() {
    this.videoBar.showFor("none");
    this.video = null;
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
    if (this.waveform?.visible) {
      this.waveform.reset(this.series); // the standard scale, from the first sample
      void this.changed().catch(() => {});
    }
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
      const waveform = this.seriesInfo?.kind === "waveform";
      if (this.waveform) this.waveform.visible = waveform;
      this.root.classList.toggle("waveform", waveform);
      const slide = this.seriesInfo?.kind === "slide";
      if (this.slide) this.slide.visible = slide;
      this.root.classList.toggle("slide", slide);
      if (waveform) {
        await this.plotWaveform();
        this.videoBar.showFor("none");
      } else if (slide) {
        await this.showSlide();
        this.videoBar.showFor("none");
      } else if (this.series < 0) {
        this.segments.clear();
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
            : this.isVideo
              ? await this.videoPixels()
              : await this.host.client.call("render", {
                  series: this.series,
                  frame: this.frame,
                  ...window,
                  invert: this.invert,
                  overlays: this.host.showOverlays(),
                  voi: this.vois.get(this.series) ?? null,
                  step: this.previewStep(),
                  presentation: this.presentationUid,
                });
        const columns = Math.ceil(info.width / info.step);
        const rows = Math.ceil(info.height / info.step);
        this.shown = new ImageData(new Uint8ClampedArray(pixels), columns, rows);
        this.size = { width: info.width, height: info.height };
        this.step = info.step;
        this.info = info;
        // Each image of a state may have its own displayed area (PS3.3 C.10.4): a frame
        // whose area differs from the one applied applies its own.
        const area = info.presentation ? JSON.stringify(info.presentation.area ?? null) : null;
        if (area !== null && this.presentationUid && area !== this.appliedArea)
          this.host.onPresentedArea?.(this, info.presentation);
        if (this.image.width !== columns || this.image.height !== rows) {
          this.image.width = columns;
          this.image.height = rows;
        }
        this.imageCtx.putImageData(this.shown, 0, 0);
        await this.fetchSegments();
        await this.fetchAnnotations();
        // A warning about what is shown (missing slices, lossy): a notice at the foot,
        // clear of the image's middle; a failure (below) stands in the middle.
        this.retell = () =>
          volumeWarnings(info.volume?.warnings) || fileWarnings(info) || info.warning || "";
        const warning = this.retell();
        this.message.hidden = !warning;
        this.message.textContent = warning;
        this.message.classList.add("notice");
        if (!this.isVideo) this.videoBar.showFor("none");
        else this.videoBar.update();
      }
      this.framesDrawn += 1;
      this.draw();
      if (this.step > 1) this.refineLater();
      return this.step === 1;
    } catch (error) {
      const message = errorText(error);
      // What the user sees when a frame cannot be shown: file, syntax, reason, in the viewport.
      this.retell = () => errorText(error);
      this.shown = null;
      this.message.hidden = false;
      this.message.textContent = message;
      this.message.classList.remove("notice");
      this.draw();
      this.host.onError(message);
      throw error;
    }
  }

  /** The segmentation layer of the frame or reformatted view shown (none on video; on the 3D
   * view only the legend of the segments it draws). */
  async fetchSegments() {
    const seg = drawnOver(this.seriesInfo); // SEG, RT structures and dose, fusions
    // On a slab (MIP, MinIP, average) the layer covers the slab's whole depth.
    const plane = this.view ? this.info?.reslice : null;
    const slab = this.view?.projection ? Number(this.info?.volumeView?.slab ?? 0) : 0;
    const reslice = plane ? { ...plane, ...(slab > 0 ? { slab } : {}) } : null;
    // A presentation state applied: its graphics on reformatted views too (resliced).
    const state = reslice ? this.presentationUid : null;
    if (this.view3d) {
      this.segments.legendOnly(this.view3d.drawn); // the segments are in the rendering
      return;
    }
    // A blending state applied to the acquired frame: its superimposed set in the layer.
    const blend = !this.view ? this.blend : null;
    const asked = state || blend;
    if ((!seg.length && !asked) || (this.view && !reslice) || this.isVideo) {
      this.segments.clear();
      return;
    }
    const chosen = this.host.segmentSettings?.() ?? [];
    const settings = seg.map(
      ({ uid, kind }) => chosen.find((c) => c.uid === uid) ?? defaultSetting(kind, uid),
    );
    if (!asked && seg.every((s, i) => s.kind === "fusion" && !settings[i].visible)) {
      this.segments.clear(); // only hidden fusions: nothing to ask for
      return;
    }
    if (reslice) {
      // a reformatted plane: the SEG masks and RT contours resliced, the dose and fused
      // series sampled at the plane's pixels
      await this.segments.fetchPlane(this.host.client, this.series, reslice, settings, state);
    } else {
      const user = this.windows.get(this.series);
      const window = { center: user ? user[0] : null, width: user ? user[1] : null };
      const grey = blend ? { ...blend, window, invert: this.invert } : null;
      await this.segments.fetch(this.host.client, this.series, this.frame, settings, grey);
    }
  }

  /**
   * The blend of the Blending Softcopy Presentation State applied to the frame shown
   * (PS3.4 N.2.4), as the worker said it (`info.presentation.blend`; a reformatted
   * view of the underlying series: `info.blend`), else null.
   * @returns {{uid: string, series: string | null, seriesUid: string, opacity: number,
   *            label: string, modality?: string, icc?: string | null} | null}
   */
  get blend() {
    const info = /** @type {any} */ (this.info);
    const found = info?.presentation?.blend ?? info?.blend;
    return found && this.presentationUid === found.uid ? found : null;
  }

  /** The presentation state's UID while it is applied to the series shown, else null. */
  get presentationUid() {
    const chosen = this.presentation;
    return chosen && chosen.series === this.seriesInfo?.uid ? chosen.uid : null;
  }

  /** The annotation layer of the acquired frame shown (none on volume views and video). */
  async fetchAnnotations() {
    const objects = this.seriesInfo?.objects ?? [];
    const some = objects.some((o) => o.kind === "SR" || o.kind === "PR");
    if (!some || this.view || this.view3d || this.isVideo) {
      this.annotations.clear();
      return;
    }
    await this.annotations.fetch(this.host.client, this.series, this.frame, this.presentationUid);
  }

  /** The series is a slide: its map, drawn over the (empty) image canvas (viewer/slide.js). */
  async showSlide() {
    if (!this.slide) {
      this.slide = new SlideView(this.root, this.host.client, {
        tool: () => this.host.tool(),
        onMeasure: (found) => this.addSlideLength(found),
        lengths: (uid) =>
          this.host.measurements
            .filter((m) => m.kind === "slide-length" && m.series === uid)
            .map((m) => ({ points: m.points.map(({ x, y }) => [x, y]), um: m.result.value })),
      });
    }
    this.slide.visible = true;
    this.segments.clear();
    this.shown = null;
    this.info = null;
    await this.slide.show(this.series, this.seriesInfo?.uid ?? "");
    const error = this.slide.error;
    this.retell = null;
    this.message.hidden = !error;
    this.message.textContent = error ?? "";
  }

  /**
   * A length drawn on a slide joins the measurement list (and its CSV), in µm.
   * @param {{points: number[][], um: number}} found
   */
  addSlideLength({ points, um }) {
    const uid = this.seriesInfo?.uid;
    if (!uid) return;
    this.host.measurements.push({
      id: this.host.nextId(),
      kind: "slide-length",
      points: points.map(([x, y]) => ({ x, y })),
      label: `${um.toFixed(1)} µm`,
      series: uid,
      frame: 0,
      result: { value: um, unit: "µm", calibration: "the slide's Pixel Spacing", note: "" },
    });
    this.host.onChange(this);
  }

  /** The series is a waveform: its plot, drawn over the (empty) image canvas. */
  async plotWaveform() {
    if (!this.waveform) {
      this.waveform = new WaveformView(this.root, this.host.client);
      this.waveform.onChange = () => void this.changed().catch(() => {});
      this.waveform.onMeasure = (found) => this.addCaliper(found);
      this.waveform.reset(this.series);
      this.waveform.visible = true;
    }
    this.shown = null;
    this.info = null;
    this.step = 1;
    this.message.hidden = true;
    await this.waveform.plot();
    const { warnings = [], warningsSaid = [], file = "" } = this.waveform.info ?? {};
    // The waveform's own warnings (data cut short), each "file: reason" in the language shown.
    this.retell = () =>
      warnings
        .map((w, i) =>
          t("engine.file_reason", { file, reason: { said: warningsSaid[i] ?? { text: w } } }),
        )
        .join("\n");
    this.message.hidden = !warnings.length;
    this.message.textContent = this.retell();
  }

  /**
   * A caliper drawn on the waveform plot joins the measurement list (and its CSV): its ends
   * as points (x: ms from the first sample; y: mV from the first end).
   * @param {{times: number[], ms: number, mv: number}} found
   */
  addCaliper({ times, ms, mv }) {
    const uid = this.seriesInfo?.uid;
    if (!uid) return;
    this.host.measurements.push({
      id: this.host.nextId(),
      kind: "caliper",
      points: [
        { x: times[0], y: 0 },
        { x: times[1], y: mv },
      ],
      label: caliperText({ ms, mv }),
      series: uid,
      frame: 0,
      result: {
        value: ms,
        unit: "ms",
        calibration: "the file's sampling frequency and channel sensitivity",
        note: `${mv.toFixed(3)} mV`,
      },
    });
    this.host.onChange(this);
  }

  /**
   * A view of the volume: its pixels, and its info with the on-image text's record
   * (description) as `view`, the view as shown as `volumeView`.
   * @param {{series: number, view: import("../rpc/protocol.js").VolumeView,
   *          center: number|null, width: number|null}} args
   */
  async viewPixels(args) {
    const asked = this.view;
    const { info, pixels } = await this.host.client.call("renderView", {
      ...args,
      // One voxel step along each direction: no more pixels than the volume has (a
      // coronal view of 2 mm slices has 2 mm rows); drawn at their aspect.
      view: { ...args.view, pixels: "natural" },
      invert: this.invert,
      // an applied blending state gives the plane of its underlying series its window
      presentation: this.presentationUid,
    });
    // The position as shown (filled in, kept inside the volume), unless the view has
    // moved on while this one was drawn.
    if (asked && this.view === asked) this.view = { ...asked, position: info.view.position };
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
   * The current frame of a video series, decoded in the page, with an info record like a
   * render's. A video the browser cannot play rejects with the reason and the bar offers
   * its file to save; one that cannot be decoded rejects naming the file.
   */
  async videoPixels() {
    const series = this.series;
    const stream = await videoStream(this.host.client, series, this.seriesInfo?.uid ?? "");
    const why = await stream.unplayable();
    if (this.video !== stream) {
      this.video = stream;
      if (why && !why.broken) this.videoBar.showFor("offer", stream.saveUrl(), stream.fileName);
      else this.videoBar.showFor(why ? "none" : "video");
    }
    if (why) {
      const key = why.broken ? "video.broken" : "video.unplayable";
      throw saidError(pageSaid(key, { file: stream.info.file, reason: { said: why.said } }));
    }
    return stream.rendered(series, this.frame);
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

  /** A pixel's height over its width: a reformatted view's may differ from 1. */
  get aspect() {
    const reslice = this.view ? this.info?.reslice : null;
    if (!reslice && this.presentationUid) return this.info?.presentation?.area?.aspect ?? 1;
    return reslice ? reslice.rowSpacing / reslice.columnSpacing : 1;
  }

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
      this.aspect,
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
    // The box's own size, fractions kept (clientWidth/Height round first): the canvas
    // is then the box in device pixels, rounded once.
    const box = this.root.getBoundingClientRect();
    const width = Math.max(1, Math.round(box.width * ratio));
    const height = Math.max(1, Math.round(box.height * ratio));
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
      // One image pixel to one device pixel or more: each pixel a sharp block, unless
      // smooth pixels are chosen; below that, smoothing keeps a minified image from aliasing.
      this.smoothed = Boolean(this.host.smooth?.()) || matrixScale(m) < 1;
      ctx.imageSmoothingEnabled = this.smoothed;
      // Minified along both axes, the high quality's mipmaps are cheap; wherever an axis is
      // magnified (a reformatted view's 2 mm rows stretched) it is a bicubic filter, about
      // ten times the cost of bilinear in software rendering, for a difference not seen.
      const minified = matrixScale(m) <= 1 && Math.hypot(m[2], m[3]) <= 1;
      ctx.imageSmoothingQuality = minified ? "high" : "low";
      ctx.drawImage(this.image, 0, 0, this.image.width * this.step, this.image.height * this.step);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    }
    this.segments.draw(this.shown ? m : null, width, height, ratio);
    this.annotations.draw(this.shown ? m : null, width, height, ratio);
    this.drawLayer(m, ratio);
    this.drawText();
    this.host.onView?.();
  }

  /** @param {Matrix} m @param {number} ratio */
  drawLayer(m, ratio) {
    const uid = this.shown ? this.seriesInfo?.uid : undefined;
    const key = this.viewKey;
    const items = uid
      ? this.host.measurements.filter(
          (x) => x.series === uid && x.frame === this.frame && (x.view ?? null) === key,
        )
      : [];
    const guides = uid ? (this.host.guides?.lines(this) ?? []) : [];
    const cal = uid ? this.info?.view?.calibration : undefined;
    const ruler = this.host.showInfo() && cal && cal.column_mm ? cal : null;
    // What this layer shows; when it is what is already drawn (scrolling through slices
    // without measurements), the layer is left alone and the page repaints less.
    const shapes = items.map(({ kind, points, label }) => ({ kind, points, label }));
    const size = [this.layer.width, this.layer.height];
    const content = JSON.stringify([
      m,
      ratio,
      size,
      this.rotation,
      ruler,
      shapes,
      this.draft,
      guides,
    ]);
    if (content === this.layerContent) return;
    this.layerContent = content;
    const draft = this.draft ? { ...this.draft, label: "" } : null;
    const what = uid
      ? { matrix: m, ratio, rotation: this.rotation, shapes, draft, ruler, guides }
      : null;
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
      keyImage: this.view || this.view3d ? [] : this.keyTitles,
    });
    writeTextBoxes(this.text, content);
  }

  // -- measurements, 1:1 and snapshots ---------------------------------------------------

  /** Measure what the pointer drew and add it to the page's list. @param {string} kind @param {Point[]} points */
  async finishMeasurement(kind, points) {
    const series = this.seriesInfo;
    if (!series) return;
    const item = await this.measured(kind, points, series.uid);
    if (!item) return;
    this.host.measurements.push(item);
    this.draw();
    this.host.onChange(this);
  }

  /** @param {string} kind @param {Point[]} points @param {string} uid */
  async measured(kind, points, uid) {
    try {
      return await measure(kind, points, {
        client: this.host.client,
        id: this.host.nextId(),
        uid,
        series: this.series,
        frame: this.frame,
        view: this.viewKey,
        where:
          this.view && this.info?.volumeView
            ? planeText(this.info.volumeView).replace("\n", ", ")
            : undefined,
        calibration: this.info?.view?.calibration ?? UNCALIBRATED,
        volumeView: this.view ? { ...this.view, pixels: "natural" } : null,
      });
    } catch (error) {
      this.draw();
      this.host.onError(error instanceof Error ? error.message : String(error));
      return null;
    }
  }

  /**
   * Find burned-in text on the acquired frame shown (issue 20): each box found becomes a
   * Rect measurement on it, which de-identification's "blank the rectangles" blanks.
   * @returns {Promise<number>} how many boxes were found
   */
  async findText() {
    const series = this.seriesInfo;
    if (!series || !this.shown || this.view || this.view3d || this.video) return 0;
    /** @type {number[][]} */
    const boxes = await this.host.client.call("findText", {
      series: this.series,
      frame: this.frame,
    });
    for (const [x, y, w, h] of boxes) {
      await this.finishMeasurement("rect", [
        { x, y },
        { x: x + w, y: y + h },
      ]);
    }
    return boxes.length;
  }

  /** Zoom so that one image pixel is one screen pixel. */
  actualSize() {
    if (!this.shown) return;
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = this.size;
    const fitted = { ...this.viewGeometry(), zoom: 1 };
    const box = [this.canvas.width, this.canvas.height];
    const fit = viewMatrix(width, height, box[0], box[1], fitted, ratio, this.aspect);
    this.zoom = ratio / matrixScale(fit);
    this.pan = { x: 0, y: 0 };
    this.draw();
  }

  /** Save a PNG of the viewport with its text (the video bar's snapshot button). */
  async saveSnapshot() {
    const url = URL.createObjectURL(await this.snapshot(true));
    const link = document.createElement("a");
    link.href = url;
    link.download = `lightbox-frame-${this.frame + 1}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** A PNG of what the viewport shows, optionally with the on-image text. @param {boolean} withInfo */
  async snapshot(withInfo) {
    const out = new OffscreenCanvas(this.canvas.width, this.canvas.height);
    const ctx = out.getContext("2d");
    if (!ctx) throw new Error("cannot draw a snapshot");
    ctx.drawImage(this.canvas, 0, 0);
    ctx.drawImage(this.segments.canvas, 0, 0);
    ctx.drawImage(this.annotations.canvas, 0, 0);
    ctx.drawImage(this.layer, 0, 0);
    if (this.waveform?.visible) ctx.drawImage(this.waveform.canvas, 0, 0);
    if (this.slide?.visible) {
      ctx.drawImage(this.slide.canvas, 0, 0);
      ctx.drawImage(this.slide.overlay, 0, 0);
    }
    if (withInfo) paintTextBoxes(ctx, this.text, this.root, window.devicePixelRatio || 1);
    return out.convertToBlob({ type: "image/png" });
  }
}
