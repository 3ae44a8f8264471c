// The annotation layer of a viewport (issue 16 items 1 and 3): what a presentation state
// applied to the frame draws (its shutters, activated overlay planes and graphics, as the
// worker rasterises them on the image grid) and its text objects, and the SR measurements
// that lie on the frame (their outlines in the same layer, their name, value and unit as
// text). Drawn on a canvas of its own above the segmentation layer with the image's
// matrix, one image pixel a block; texts are drawn upright on screen inside their
// bounding box (or at their anchor). It also composes the image with the layer and the
// texts on the image grid, for renderedFrame({overlays: true}).
import { ImageLayer, clearLayerCanvas, holdLayerPixels } from "./image-layer.js";

/** @typedef {import("./interaction.js").Matrix} Matrix */
/** @typedef {import("../rpc/protocol.js").AnnotationText} AnnotationText */
/** @typedef {import("../rpc/protocol.js").MeasurementOverlay} MeasurementOverlay */

/** @param {number[]} c @returns {string} */
const rgb = (c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

export class AnnotationLayer extends ImageLayer {
  /** @param {HTMLElement} root @param {Element} before the canvas it is drawn under */
  constructor(root, before) {
    super(root, before, "annotation-layer");
    /** @type {AnnotationText[]} */
    this.texts = [];
    /** @type {MeasurementOverlay[]} the SR measurements on the frame shown */
    this.measurements = [];
    this.key = "";
  }

  clear() {
    this.shown = null;
    this.texts = [];
    this.measurements = [];
    this.key = "";
  }

  /**
   * Ask the worker for the layer of a frame (with presentation state `presentation`, or
   * none) and keep it.
   * @param {import("../rpc/client.js").Client} client
   * @param {number} series @param {number} frame @param {string | null} presentation
   */
  async fetch(client, series, frame, presentation) {
    const key = JSON.stringify([series, frame, presentation]);
    if (key === this.key) return;
    this.key = "";
    const { info, pixels } = await client.call("annotationLayer", { series, frame, presentation });
    this.texts = info.texts;
    this.measurements = info.measurements;
    const data = new Uint8ClampedArray(pixels);
    let any = false;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i]) {
        any = true;
        break;
      }
    }
    this.shown = any ? new ImageData(data, info.width, info.height) : null;
    if (this.shown) holdLayerPixels(this.image, this.imageCtx, this.shown);
    this.key = key;
  }

  /**
   * Draw the layer with the image's matrix, and the texts upright.
   * @param {Matrix | null} matrix null: the image is not shown
   * @param {number} width @param {number} height the canvas size
   * @param {number} ratio canvas pixels per CSS pixel
   */
  draw(matrix, width, height, ratio) {
    const ctx = this.ctx;
    clearLayerCanvas(this.canvas, ctx, width, height);
    if (!matrix) return;
    if (this.shown) {
      ctx.setTransform(...matrix);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.image, 0, 0);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    }
    /** @param {number[]} p */
    const toCanvas = (p) => ({
      x: matrix[0] * p[0] + matrix[2] * p[1] + matrix[4],
      y: matrix[1] * p[0] + matrix[3] * p[1] + matrix[5],
    });
    for (const t of this.texts) {
      if (t.line !== undefined) {
        const size = 12 * ratio;
        paintText(ctx, t, { x0: 8 * ratio, y0: 60 * ratio + t.line * size * 1.4 }, size, ratio);
        continue;
      }
      if (t.box) {
        const a = toCanvas([t.box[0], t.box[1]]);
        const b = toCanvas([t.box[2], t.box[3]]);
        const box = {
          x0: Math.min(a.x, b.x),
          y0: Math.min(a.y, b.y),
          x1: Math.max(a.x, b.x),
          y1: Math.max(a.y, b.y),
        };
        const size = Math.max(10 * ratio, Math.min(14 * ratio, box.y1 - box.y0));
        paintText(ctx, t, box, size, ratio);
      } else if (t.anchor) {
        const p = toCanvas(t.anchor);
        paintText(ctx, t, { x0: p.x, y0: p.y }, 12 * ratio, ratio);
      }
      if (t.anchor && t.anchorVisible && t.box) {
        const p = toCanvas(t.anchor);
        const c = toCanvas([(t.box[0] + t.box[2]) / 2, (t.box[1] + t.box[3]) / 2]);
        ctx.strokeStyle = rgb(t.color);
        ctx.lineWidth = ratio;
        ctx.beginPath();
        ctx.moveTo(p.x, p.y);
        ctx.lineTo(c.x, c.y);
        ctx.stroke();
      }
    }
  }

  /**
   * The image with the layer and the texts over it, on the image grid (as on screen).
   * @param {ImageData} image the frame as rendered (the same grid as the layer)
   * @returns {Uint8ClampedArray}
   */
  composite(image) {
    if (!this.shown && !this.texts.length) return new Uint8ClampedArray(image.data);
    const out = new OffscreenCanvas(image.width, image.height);
    const ctx = out.getContext("2d", { willReadFrequently: true });
    if (!ctx) return new Uint8ClampedArray(image.data);
    ctx.putImageData(image, 0, 0);
    if (this.shown && this.shown.width === image.width && this.shown.height === image.height)
      ctx.drawImage(this.image, 0, 0);
    for (const t of this.texts) {
      if (t.box) {
        const box = { x0: t.box[0], y0: t.box[1], x1: t.box[2], y1: t.box[3] };
        paintText(ctx, t, box, Math.max(6, Math.min(12, box.y1 - box.y0)), 1, false);
      } else if (t.anchor && t.line === undefined) {
        paintText(ctx, t, { x0: t.anchor[0], y0: t.anchor[1] }, 10, 1, false);
      }
    }
    return ctx.getImageData(0, 0, image.width, image.height).data;
  }
}

/**
 * One text: inside its box (clipped to it, justified as asked), or from a point.
 * @param {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D} ctx
 * @param {AnnotationText} t
 * @param {{x0: number, y0: number, x1?: number, y1?: number}} box
 * @param {number} size @param {number} ratio @param {boolean} [shadow]
 */
function paintText(ctx, t, box, size, ratio, shadow = true) {
  ctx.save();
  ctx.font = `${size}px system-ui, sans-serif`;
  ctx.textBaseline = "top";
  ctx.fillStyle = rgb(t.color);
  if (shadow) {
    ctx.shadowColor = "#000";
    ctx.shadowBlur = 3 * ratio;
  }
  let x = box.x0;
  if (box.x1 !== undefined && box.y1 !== undefined) {
    ctx.beginPath();
    ctx.rect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0);
    ctx.clip();
    if (t.justification === "RIGHT") {
      ctx.textAlign = "right";
      x = box.x1;
    } else if (t.justification === "CENTER") {
      ctx.textAlign = "center";
      x = (box.x0 + box.x1) / 2;
    }
  }
  ctx.fillText(t.text, x, box.y0);
  ctx.restore();
}
