// The controls of a pane that shows a video: play / pause, step a frame back or forward,
// scrub, speed, loop, full screen, snapshot, and the time and frame shown. Playing asks the
// pane for the next frame every Frame Time / speed, and only when the last one is drawn
// (a slow decoder drops frames instead of falling behind). For a video the browser cannot
// play, the bar says why and offers the video file to save (a blob: URL on this origin).

/**
 * What the bar needs of its pane.
 * @typedef {{frame: () => number, frames: () => number, frameTime: () => number,
 *            show: (frame: number) => Promise<void>, busy: () => boolean,
 *            snapshot: () => void, fullscreen: () => void}} VideoHost
 */

/** Speeds offered, as multiples of the file's frame rate. */
import { setAttr, setText } from "../i18n/dom.js";

const SPEEDS = [0.25, 0.5, 1, 2, 4];

/** @param {string} tag @param {string} [className] @param {string} [text] */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param {string} label its catalog key @param {string} text its catalog key
 * @param {string} name
 */
function button(label, text, name) {
  const b = /** @type {HTMLButtonElement} */ (el("button", "video-button"));
  setText(b, text);
  b.type = "button";
  setAttr(b, "title", label);
  setAttr(b, "aria-label", label);
  b.dataset.video = name;
  return b;
}

export class VideoBar {
  /** @param {HTMLElement} root the pane's element @param {VideoHost} host */
  constructor(root, host) {
    this.host = host;
    this.playing = false;
    this.speed = 1;
    this.loop = true;
    this.timer = 0;
    this.bar = el("div", "video-bar");
    this.bar.hidden = true;
    this.back = button("video.previous", "video.prev", "back");
    this.play = button("play", "play", "play");
    this.forward = button("video.next_frame", "video.next", "forward");
    this.scrub = /** @type {HTMLInputElement} */ (el("input", "video-scrub"));
    this.scrub.type = "range";
    this.scrub.min = "0";
    this.scrub.step = "1";
    setAttr(this.scrub, "aria-label", "video.frame");
    this.clock = el("span", "video-clock");
    this.speedSelect = /** @type {HTMLSelectElement} */ (el("select", "video-speed"));
    setAttr(this.speedSelect, "aria-label", "video.speed");
    for (const speed of SPEEDS) {
      const option = /** @type {HTMLOptionElement} */ (el("option", "", `${speed}×`));
      option.value = String(speed);
      option.selected = speed === 1;
      this.speedSelect.append(option);
    }
    const loopLabel = el("label", "video-loop");
    this.loopBox = /** @type {HTMLInputElement} */ (el("input"));
    this.loopBox.type = "checkbox";
    this.loopBox.checked = true;
    const loop = el("span");
    setText(loop, "video.loop");
    loopLabel.append(this.loopBox, " ", loop);
    this.snap = button("video.snapshot", "snapshot", "snapshot");
    this.full = button("full_screen", "full_screen", "fullscreen");
    this.bar.append(
      this.back,
      this.play,
      this.forward,
      this.scrub,
      this.clock,
      this.speedSelect,
      loopLabel,
      this.snap,
      this.full,
    );
    this.offer = /** @type {HTMLAnchorElement} */ (el("a", "video-save"));
    setText(this.offer, "video.save");
    this.offer.hidden = true;
    root.append(this.bar, this.offer);
    for (const node of [this.bar, this.offer]) {
      // the pane's pointer gestures (scroll, window, measure) are not the bar's
      node.addEventListener("pointerdown", (event) => event.stopPropagation());
      node.addEventListener("wheel", (event) => event.stopPropagation());
    }
    this.play.addEventListener("click", () => this.toggle());
    this.back.addEventListener("click", () => this.step(-1));
    this.forward.addEventListener("click", () => this.step(1));
    this.scrub.addEventListener("input", () => {
      this.pause();
      void this.host.show(Number(this.scrub.value)).catch(() => {});
    });
    this.speedSelect.addEventListener("change", () => {
      this.speed = Number(this.speedSelect.value) || 1;
    });
    this.loopBox.addEventListener("change", () => {
      this.loop = this.loopBox.checked;
    });
    this.snap.addEventListener("click", () => this.host.snapshot());
    this.full.addEventListener("click", () => this.host.fullscreen());
  }

  /**
   * Show the bar for a playable video, the save offer for one that is not, or neither.
   * @param {"video" | "offer" | "none"} what @param {string} [url] @param {string} [name]
   */
  showFor(what, url, name) {
    if (what === "none" && this.bar.hidden && this.offer.hidden) return; // scrolling a stack
    if (what !== "video") this.pause();
    this.bar.hidden = what !== "video";
    this.offer.hidden = what !== "offer";
    if (this.offer.href.startsWith("blob:") && this.offer.href !== url)
      URL.revokeObjectURL(this.offer.href);
    if (what === "offer" && url) {
      this.offer.href = url;
      this.offer.download = name ?? "video";
    }
    this.update();
  }

  /** The frame, time and play button as they are now. */
  update() {
    const frames = this.host.frames();
    const frame = this.host.frame();
    this.scrub.max = String(Math.max(0, frames - 1));
    this.scrub.value = String(frame);
    const seconds = (frame * this.host.frameTime()) / 1000;
    const total = (Math.max(0, frames - 1) * this.host.frameTime()) / 1000;
    setText(this.clock, "video.clock", {
      seconds: { number: seconds, digits: 2 },
      total: { number: total, digits: 2 },
      n: frame + 1,
      frames,
    });
    const what = this.playing ? "pause" : "play";
    setText(this.play, what);
    setAttr(this.play, "title", what);
    setAttr(this.play, "aria-label", what);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.start();
  }

  start() {
    if (this.playing) return;
    if (this.host.frame() >= this.host.frames() - 1) void this.host.show(0).catch(() => {});
    this.playing = true;
    this.schedule();
    this.update();
  }

  pause() {
    this.playing = false;
    window.clearTimeout(this.timer);
    this.update();
  }

  /** @param {number} delta */
  step(delta) {
    this.pause();
    const frames = this.host.frames();
    const next = Math.min(Math.max(this.host.frame() + delta, 0), frames - 1);
    void this.host.show(next).catch(() => {});
  }

  schedule() {
    window.clearTimeout(this.timer);
    const wait = Math.max(1, this.host.frameTime() / this.speed);
    this.timer = window.setTimeout(() => this.tick(), wait);
  }

  tick() {
    if (!this.playing) return;
    if (!this.host.busy()) {
      const next = this.host.frame() + 1;
      if (next >= this.host.frames() && !this.loop) return this.pause();
      void this.host.show(next % this.host.frames()).catch(() => this.pause());
    }
    this.schedule();
  }
}
