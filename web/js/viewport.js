// The canvas: one native-resolution offscreen copy of the frame, drawn fitted.
// Zoom and pan only redraw; they never ask the worker for pixels.
import { fitTransform } from "./interaction.js";

export class Viewport {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    const context = canvas.getContext("2d");
    if (!context) throw new Error("this browser cannot draw on a canvas");
    this.context = context;
    this.image = new OffscreenCanvas(1, 1);
    const imageContext = this.image.getContext("2d");
    if (!imageContext) throw new Error("this browser has no OffscreenCanvas 2D context");
    this.imageContext = imageContext;
    /** @type {ImageData|null} */
    this.frame = null;
    this.zoom = 1;
    this.pan = { x: 0, y: 0 };
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** @param {ImageData} frame */
  show(frame) {
    if (this.image.width !== frame.width || this.image.height !== frame.height) {
      this.image.width = frame.width;
      this.image.height = frame.height;
    }
    this.imageContext.putImageData(frame, 0, 0);
    this.frame = frame;
    this.draw();
  }

  clear() {
    this.frame = null;
    this.draw();
  }

  draw() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const ctx = this.context;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, width, height);
    if (!this.frame) return;
    const { x, y, scale } = fitTransform(
      this.frame.width, this.frame.height, width, height, this.zoom,
      { x: this.pan.x * ratio, y: this.pan.y * ratio },
    );
    ctx.imageSmoothingEnabled = scale < 3;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.image, x, y, this.frame.width * scale, this.frame.height * scale);
  }
}
