// The segmentation layer of a viewport (issue 16 item 4): the masks of the SEG segments
// that lie on the frame shown, as the worker composes them (an RGBA image of the frame's
// size, each segment in its colour at its opacity), drawn on a canvas of its own between
// the image and the measurement layer with the image's matrix, one image pixel a block
// (no smoothing, so a mask's edge stays on its pixels); and a legend of their labels.
// It also composes the image with the layer on the image grid, for
// renderedFrame({overlays: true}).
import { ImageLayer, clearLayerCanvas, holdLayerPixels } from "./image-layer.js";

/** @typedef {import("./interaction.js").Matrix} Matrix */
/** @typedef {import("../rpc/protocol.js").SegmentOnFrame} SegmentOnFrame */
/** @typedef {import("../rpc/protocol.js").OverlaySetting} OverlaySetting */

/** The default opacity of what the layer draws, by kind (issue 16 items 4, 5, 7). */
const DEFAULT_OPACITY = /** @type {Record<string, number>} */ ({
  SEG: 0.5,
  RTSTRUCT: 0.3,
  RTDOSE: 0.4,
  fusion: 0.5,
});

/**
 * How an object is drawn before the page chooses: shown at its kind's opacity, except a
 * fused series, which is hidden until shown.
 * @param {string} kind @param {string} uid @returns {OverlaySetting}
 */
export function defaultSetting(kind, uid) {
  return { uid, visible: kind !== "fusion", opacity: DEFAULT_OPACITY[kind] ?? 0.5, hidden: [] };
}

/**
 * What is drawn in the layer over a series: its SEGs, RT structure sets, RT doses and the
 * series that can be fused over it, each with its `kind` and `segments` (a structure set's
 * ROIs, a dose's isodose levels; none for a fusion).
 * @param {import("../rpc/protocol.js").SeriesInfo | null | undefined} series
 * @returns {{kind: string, uid: string, label: string, segments: {number: number,
 *            label: string, color: number[]}[], frames?: number[]}[]}
 */
export function drawnOver(series) {
  return [
    ...(series?.segmentations ?? []).map((s) => ({ ...s, kind: "SEG" })),
    ...(series?.rtStructures ?? []),
    ...(series?.rtDoses ?? []),
    ...(series?.fusions ?? []),
  ];
}

export class SegmentLayer extends ImageLayer {
  /** @param {HTMLElement} root @param {Element} before the canvas it is drawn under */
  constructor(root, before) {
    super(root, before, "segment-layer");
    /** @type {SegmentOnFrame[]} the segments that lie on the frame shown */
    this.segments = [];
    /** what the layer kept was asked for (a window drag does not ask again) */
    this.key = "";
  }

  /** Nothing on the frame shown. */
  clear() {
    this.shown = null;
    this.segments = [];
    this.key = "";
  }

  /**
   * The legend alone (the 3D view draws its segments in the rendering itself).
   * @param {SegmentOnFrame[]} segments
   */
  legendOnly(segments) {
    this.shown = null;
    this.segments = segments;
    this.key = "";
  }

  /**
   * Ask the worker for the layer of a frame and keep it (drawn by draw()).
   * @param {import("../rpc/client.js").Client} client
   * @param {number} series @param {number} frame @param {OverlaySetting[]} settings
   * @param {{uid: string, series: string | null, icc?: string | null,
   *          window?: {center: number | null, width: number | null}, invert?: boolean}
   *          | null} [blend] an applied blending state: its superimposed series drawn at
   *   the bottom of the layer; with an ICC profile (`icc`) the layer is the whole blend,
   *   opaque, through the profile, the frame's grey under the user's `window` and `invert`
   */
  async fetch(client, series, frame, settings, blend = null) {
    const presentation = blend?.uid ?? null;
    const blended = blend?.series ?? null;
    // with a profile the grey is in the layer: a window drag asks again
    const grey = blend?.icc ? { window: blend.window ?? null, invert: Boolean(blend.invert) } : {};
    await this.fetchLayer(client, [series, frame, settings, presentation, grey], () =>
      client.call("segmentLayer", { series, frame, settings, presentation, blended, ...grey }),
    );
  }

  /**
   * Ask the worker for the layer of a reformatted plane (SEG masks and RT contours resliced,
   * issue 16 items 4, 5) and keep it.
   * @param {import("../rpc/client.js").Client} client
   * @param {number} series @param {import("../rpc/protocol.js").Reslice} reslice
   * @param {OverlaySetting[]} settings
   * @param {string | null} [presentation] the applied presentation state (its graphics drawn)
   */
  async fetchPlane(client, series, reslice, settings, presentation = null) {
    await this.fetchLayer(client, [series, reslice, settings, presentation], () =>
      client.call("planeLayer", { series, reslice, settings, presentation }),
    );
  }

  /**
   * @param {import("../rpc/client.js").Client} client
   * @param {unknown[]} asked what identifies the layer
   * @param {() => Promise<{info: {width: number, height: number, segments: SegmentOnFrame[]},
   *          pixels: ArrayBuffer}>} call
   */
  async fetchLayer(client, asked, call) {
    void client;
    const key = JSON.stringify(asked);
    if (key === this.key) return;
    this.key = "";
    const { info, pixels } = await call();
    this.segments = info.segments;
    // drawn where anything is: a dose's wash shows with every isodose line hidden
    const alpha = new Uint8Array(pixels);
    let shown = false;
    for (let i = 3; i < alpha.length && !shown; i += 4) shown = alpha[i] > 0;
    if (!shown) {
      this.shown = null;
      this.key = key;
      return;
    }
    this.shown = new ImageData(new Uint8ClampedArray(pixels), info.width, info.height);
    holdLayerPixels(this.image, this.imageCtx, this.shown);
    this.key = key;
  }

  /**
   * Draw the layer with the image's matrix, and the legend.
   * @param {Matrix | null} matrix null: the image is not shown
   * @param {number} width @param {number} height the canvas size
   * @param {number} ratio canvas pixels per CSS pixel
   */
  draw(matrix, width, height, ratio) {
    const ctx = this.ctx;
    clearLayerCanvas(this.canvas, ctx, width, height);
    if (!matrix) return;
    // What is shown may have no segments listed (a presentation state's graphics alone).
    if (this.shown) {
      ctx.setTransform(...matrix);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.image, 0, 0);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    }
    if (this.segments.length) this.drawLegend(ratio);
  }

  /** The labels of the segments on the frame, at the right edge, each with its colour. */
  drawLegend(/** @type {number} */ ratio) {
    const ctx = this.ctx;
    const size = 12 * ratio;
    ctx.font = `${size}px system-ui, sans-serif`;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const right = this.canvas.width - 28 * ratio; // clear of the orientation marker
    let y = this.canvas.height / 2 - ((this.segments.length - 1) * size * 1.5) / 2;
    for (const segment of this.segments) {
      const [r, g, b] = segment.color;
      ctx.globalAlpha = segment.visible ? 1 : 0.45;
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.fillRect(right - size, y - size / 2, size, size);
      ctx.fillStyle = "#f0f0f0";
      ctx.shadowColor = "#000";
      ctx.shadowBlur = 3 * ratio;
      ctx.fillText(segment.label, right - size * 1.5, y);
      ctx.shadowBlur = 0;
      y += size * 1.5;
    }
    ctx.globalAlpha = 1;
    ctx.textAlign = "start";
  }

  /**
   * The image with the layer over it, on the image grid (source-over, as on screen).
   * @param {ImageData} image the frame as rendered (the same grid as the layer)
   * @returns {Uint8ClampedArray}
   */
  composite(image) {
    const out = new Uint8ClampedArray(image.data);
    const layer = this.shown;
    if (!layer || layer.width !== image.width || layer.height !== image.height) return out;
    const top = layer.data;
    for (let i = 0; i < out.length; i += 4) {
      const a = top[i + 3] / 255;
      if (!a) continue;
      for (let c = 0; c < 3; c += 1) out[i + c] = top[i + c] * a + out[i + c] * (1 - a);
    }
    return out;
  }
}
