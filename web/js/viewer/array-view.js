// An array the console's show() made, drawn over a viewport: one array element a square
// of whole screen pixels (nearest neighbour) when it fits, scaled to fit otherwise. Its
// own canvas, over the pane's, so the pane's image, measurements and state are untouched.
import { setAttr } from "../i18n/dom.js";

export class ArrayView {
  /** @param {HTMLElement} host the element it covers (a pane's root) */
  constructor(host) {
    this.root = document.createElement("div");
    this.root.className = "array-view";
    this.title = document.createElement("div");
    this.title.className = "array-view-title";
    this.close = document.createElement("button");
    this.close.type = "button";
    this.close.className = "close";
    this.close.textContent = "×";
    setAttr(this.close, "title", "array.close");
    setAttr(this.close, "aria-label", "array.close");
    this.canvas = document.createElement("canvas");
    this.canvas.className = "array-view-canvas";
    this.root.append(this.canvas, this.title, this.close);
    this.close.addEventListener("click", () => this.remove());
    // The viewer under it keeps its wheel and drags away from the image.
    this.root.addEventListener("wheel", (event) => event.stopPropagation());
    this.root.addEventListener("pointerdown", (event) => event.stopPropagation());
    host.append(this.root);
    this.resized = new ResizeObserver(() => this.fit());
    this.resized.observe(this.root);
    /** @type {ImageData | null} */
    this.image = null;
    /** @type {(() => void) | null} */
    this.onRemove = null;
  }

  /**
   * Show RGBA pixels. @param {Uint8ClampedArray} rgba @param {number} width
   * @param {number} height @param {string} title
   */
  show(rgba, width, height, title) {
    this.image = new ImageData(new Uint8ClampedArray(rgba), width, height);
    this.canvas.width = width;
    this.canvas.height = height;
    const ctx = this.canvas.getContext("2d");
    if (!ctx) throw new Error("this browser gives no 2D canvas");
    ctx.putImageData(this.image, 0, 0);
    this.title.textContent = `${title ? `${title} — ` : ""}${width}×${height}`;
    this.fit();
  }

  /** One array element a k×k block of device pixels, k the largest whole number that fits. */
  fit() {
    if (!this.image) return;
    const ratio = window.devicePixelRatio || 1;
    const room = {
      width: Math.max(1, this.root.clientWidth * ratio),
      height: Math.max(1, (this.root.clientHeight - 24) * ratio),
    };
    const fits = Math.min(room.width / this.image.width, room.height / this.image.height);
    const scale = fits >= 1 ? Math.floor(fits) : fits;
    const width = (this.image.width * scale) / ratio;
    const height = (this.image.height * scale) / ratio;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    // Whole pixels from the corner: a block of k×k screen pixels per element, none split.
    this.canvas.style.left = `${Math.max(0, Math.floor((this.root.clientWidth - width) / 2))}px`;
    this.canvas.style.top = `${24 + Math.max(0, Math.floor((this.root.clientHeight - 24 - height) / 2))}px`;
    this.scale = scale;
  }

  remove() {
    this.resized.disconnect();
    this.root.remove();
    this.image = null;
    this.onRemove?.();
  }
}
