// The waveform plot of a pane (issue 15 item 3): one canvas over the pane, drawn by
// waveform-paint.js (ECG paper, traces, labels, annotations, caliper, playhead). The
// worker does the samples' math (lightbox.waveform: a plot's rows and points in plot
// pixels); this view holds the window and scales, asks for plots, and turns the wheel and
// drags into changes. Wheel: zoom in time about the pointer; Shift+wheel: amplitude; left
// drag: the caliper; right or middle drag: move in time. Audio waveforms play through
// WebAudio, with a playhead.
import { DEFAULT_PX_PER_MS, DEFAULT_PX_PER_MV, caliper, zoomTime } from "./waveform-math.js";
import { paint } from "./waveform-paint.js";
import { setAttr, setText } from "../i18n/dom.js";
import { said } from "../i18n/i18n.js";

/** @typedef {import("../rpc/protocol.js").WaveformPlot} WaveformPlot */
/** @typedef {import("./waveform-math.js").Point} Point */

export class WaveformView {
  /** @param {HTMLElement} root the pane's element @param {import("../rpc/client.js").Client} client */
  constructor(root, client) {
    this.client = client;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "waveform-layer";
    this.canvas.hidden = true;
    this.bar = document.createElement("div");
    this.bar.className = "waveform-bar";
    this.bar.hidden = true;
    root.append(this.canvas, this.bar);
    // The pane captures the pointer on pointerdown (a drag); its controls keep theirs.
    this.bar.addEventListener("pointerdown", (event) => event.stopPropagation());
    const ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new Error("this browser cannot draw on a canvas");
    this.ctx = ctx;
    this.root = root;
    this.series = -1;
    this.group = 0;
    this.start = 0;
    const ratio = window.devicePixelRatio || 1;
    this.pxPerMs = DEFAULT_PX_PER_MS * ratio;
    this.pxPerMv = DEFAULT_PX_PER_MV * ratio;
    /** @type {WaveformPlot | null} */
    this.info = null;
    this.points = new Float32Array(0);
    /** @type {{from: Point, to: Point} | null} the caliper, in plot pixels */
    this.caliper = null;
    this.playing = false;
    /** @type {AudioBufferSourceNode | null} */
    this.source = null;
    /** @type {AudioContext | null} */
    this.audio = null;
    /** the AudioContext's time when the sound started */
    this.playStart = 0;
    /** @type {() => void} asks the pane to plot again (through its render queue) */
    this.onChange = () => {};
    /**
     * A caliper was drawn: its ends in time (ms from the first sample) and what it measures.
     * @type {(caliper: {times: number[], ms: number, mv: number}) => void}
     */
    this.onMeasure = () => {};
    this.attach();
  }

  /** Show or hide the plot. @param {boolean} on */
  set visible(on) {
    this.canvas.hidden = !on;
    this.bar.hidden = !on;
    if (!on) this.stop();
  }

  get visible() {
    return !this.canvas.hidden;
  }

  /** A new series: the default window and scales. @param {number} series */
  reset(series) {
    const ratio = window.devicePixelRatio || 1;
    this.series = series;
    this.group = 0;
    this.start = 0;
    this.pxPerMs = DEFAULT_PX_PER_MS * ratio;
    this.pxPerMv = DEFAULT_PX_PER_MV * ratio;
    this.caliper = null;
    /** a sound is first shown whole (its samples are far too dense for ECG paper) */
    this.fitSound = true;
    this.stop();
  }

  /**
   * Change the window or scales: `{start?, pxPerMs?, pxPerMv?, group?}` (what
   * window.lightbox.setWaveformView takes). A new group starts at its first sample.
   * @param {{start?: number, pxPerMs?: number, pxPerMv?: number, group?: number}} view
   */
  set(view) {
    for (const key of /** @type {const} */ (["pxPerMs", "pxPerMv"])) {
      const value = view[key];
      if (value !== undefined && !(value > 0)) throw new RangeError(`${key} must be positive`);
    }
    if (view.group !== undefined && view.group !== this.group) {
      this.group = view.group;
      this.start = 0;
      this.caliper = null;
      this.stop();
    }
    if (view.start !== undefined) this.start = Math.max(0, view.start);
    if (view.pxPerMs !== undefined) this.pxPerMs = view.pxPerMs;
    if (view.pxPerMv !== undefined) this.pxPerMv = view.pxPerMv;
  }

  /**
   * Ask the worker for the plot at the canvas' size and draw it.
   * @returns {Promise<void>}
   */
  async plot() {
    const ratio = window.devicePixelRatio || 1;
    // The box's own size, fractions kept (clientWidth/Height round first): the canvas
    // is then the box in device pixels, rounded once.
    const box = this.root.getBoundingClientRect();
    const width = Math.max(64, Math.round(box.width * ratio));
    const height = Math.max(64, Math.round(box.height * ratio));
    const { info, points } = await this.client.call("waveform", {
      series: this.series,
      group: this.group,
      width,
      height,
      start: this.start,
      pxPerMs: this.pxPerMs,
      pxPerMv: this.pxPerMv,
    });
    if (info.audio && this.fitSound && info.plot.length) {
      this.fitSound = false;
      const fit = (width - info.plot[0].left - 8) / info.duration;
      if (Math.abs(fit - info.pxPerMs) > 0.01 * fit) {
        this.pxPerMs = fit;
        await this.plot();
        return;
      }
    }
    this.info = info;
    this.group = info.group;
    this.start = info.window[0];
    this.points = new Float32Array(points);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.writeBar();
    this.draw();
  }

  draw() {
    const ratio = window.devicePixelRatio || 1;
    paint(this.ctx, {
      info: this.info,
      points: this.points,
      caliper: this.caliper,
      measured: this.measured(),
      position: this.position(),
      headerWidth: this.canvas.width - this.bar.offsetWidth * ratio - 12,
      ratio,
    });
  }

  /** Seconds into the sound being played, or null. */
  position() {
    if (!this.playing || !this.audio) return null;
    return Math.max(0, this.audio.currentTime - this.playStart);
  }

  /** What the caliper measures, or null. */
  measured() {
    if (!this.caliper || !this.info) return null;
    return caliper(this.caliper.from, this.caliper.to, this.info.pxPerMs, this.info.pxPerMv);
  }

  /** The controls above the plot: the multiplex group, and Play for sound. */
  writeBar() {
    const info = this.info;
    if (!info) return;
    const key = JSON.stringify([this.series, info.groups, info.group, info.audio, this.playing]);
    if (this.bar.dataset.key === key) return;
    this.bar.dataset.key = key;
    this.bar.replaceChildren();
    if (info.groups.length > 1) {
      const select = document.createElement("select");
      setAttr(select, "aria-label", "waveform.group");
      info.groups.forEach((label, index) => {
        const shown = said(info.groupsSaid?.[index], label);
        const option = new Option(shown, String(index), false, index === info.group);
        select.append(option);
      });
      select.addEventListener("change", () => {
        this.set({ group: Number(select.value) });
        this.onChange();
      });
      this.bar.append(select);
    }
    if (info.audio) {
      const play = document.createElement("button");
      play.type = "button";
      play.className = "waveform-play";
      setText(play, this.playing ? "waveform.stop" : "play");
      play.addEventListener("click", () => void (this.playing ? this.stop() : this.play()));
      this.bar.append(play);
    }
  }

  /** Play the group's first channel through WebAudio (the samples, no network). */
  async play() {
    this.stop();
    const { sampleRate, samples } = await this.client.call("waveformAudio", {
      series: this.series,
      group: this.group,
    });
    const sound = new Float32Array(samples);
    const context = new AudioContext();
    const buffer = context.createBuffer(1, sound.length, sampleRate);
    buffer.copyToChannel(sound, 0);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    source.onended = () => {
      if (this.source === source) this.stop();
    };
    this.source = source;
    this.audio = context;
    this.playing = true;
    this.playStart = context.currentTime;
    source.start();
    this.writeBar();
    const tick = () => {
      if (this.source !== source) return;
      this.draw();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  stop() {
    const source = this.source;
    const context = this.audio;
    this.source = null;
    this.audio = null;
    this.playing = false;
    if (source) {
      try {
        source.stop();
      } catch {
        // already ended
      }
    }
    void context?.close();
    if (source) this.draw();
    if (this.info) this.writeBar();
  }

  /** state().waveform */
  state() {
    const info = this.info;
    if (!info) return null;
    return {
      channels: info.channels,
      sampleRate: info.sampleRate,
      window: [...info.window],
      duration: info.duration,
      plot: info.plot.map(({ label, left, right, baseline, units }) => ({
        label,
        left,
        right,
        baseline,
        units,
      })),
      pxPerMs: info.pxPerMs,
      pxPerMv: info.pxPerMv,
      group: info.group,
      groups: [...info.groups],
      annotations: info.annotations.map(({ text, times, channels }) => ({ text, times, channels })),
      caliper: this.caliper ? { ...this.caliper, ...this.measured() } : null,
      audio: info.audio,
      playing: this.playing,
      position: this.position(),
      warnings: info.warnings,
      file: info.file,
    };
  }

  /** The plot's pixels as drawn. */
  pixels() {
    const { width, height } = this.canvas;
    return { width, height, data: this.ctx.getImageData(0, 0, width, height).data };
  }

  /** Client (CSS) coordinates to plot pixels. @param {number} x @param {number} y */
  toPlot(x, y) {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    return { x: (x - rect.left) * ratio, y: (y - rect.top) * ratio };
  }

  attach() {
    const canvas = this.canvas;
    /** @type {{mode: "caliper" | "move", x: number, start: number} | null} */
    let drag = null;
    canvas.addEventListener("pointerdown", (event) => {
      event.stopPropagation();
      if (!this.info) return;
      canvas.setPointerCapture(event.pointerId);
      const at = this.toPlot(event.clientX, event.clientY);
      drag = { mode: event.button === 0 ? "caliper" : "move", x: at.x, start: this.start };
      if (drag.mode === "caliper") {
        this.caliper = { from: at, to: at };
        this.draw();
      }
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drag || !this.info) return;
      event.stopPropagation();
      const at = this.toPlot(event.clientX, event.clientY);
      if (drag.mode === "caliper" && this.caliper) {
        this.caliper = { from: this.caliper.from, to: at };
        this.draw();
      } else {
        this.start = Math.max(0, drag.start - (at.x - drag.x) / this.pxPerMs);
        this.onChange();
      }
    });
    const end = (/** @type {PointerEvent} */ event) => {
      event.stopPropagation();
      const measured = drag?.mode === "caliper" ? this.measured() : null;
      drag = null;
      if (!measured || !this.caliper || !this.info || Math.abs(measured.ms) < 1) return;
      const left = this.info.plot[0]?.left ?? 0;
      const { pxPerMs } = this.info;
      const at = (/** @type {number} */ x) => this.start + (x - left) / pxPerMs;
      this.onMeasure({ times: [at(this.caliper.from.x), at(this.caliper.to.x)], ...measured });
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener(
      "wheel",
      (event) => {
        event.stopPropagation();
        event.preventDefault();
        if (!this.info) return;
        const delta = event.deltaY || event.deltaX; // Shift turns the wheel sideways
        const factor = delta < 0 ? 1.25 : 1 / 1.25;
        if (event.shiftKey) {
          this.pxPerMv *= factor;
        } else {
          const at = this.toPlot(event.clientX, event.clientY);
          const left = this.info.plot[0]?.left ?? 0;
          Object.assign(this, zoomTime(this.start, this.pxPerMs, at.x, left, factor));
        }
        this.caliper = null;
        this.onChange();
      },
      { passive: false },
    );
  }
}
