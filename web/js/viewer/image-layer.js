// What the layers drawn over an image (segmentations, presentation-state annotations)
// share: an offscreen canvas holding the layer's pixels on the image grid, and the
// on-screen canvas cleared to the pane's size before each draw.

/**
 * Put a layer's pixels on its image-grid canvas, resized to them when they differ.
 * @param {OffscreenCanvas} image @param {OffscreenCanvasRenderingContext2D} imageCtx
 * @param {ImageData} pixels
 */
export function holdLayerPixels(image, imageCtx, pixels) {
  if (image.width !== pixels.width || image.height !== pixels.height) {
    image.width = pixels.width;
    image.height = pixels.height;
  }
  imageCtx.putImageData(pixels, 0, 0);
}

/**
 * Size the on-screen canvas to the pane and clear it, the transform reset.
 * @param {HTMLCanvasElement} canvas @param {CanvasRenderingContext2D} ctx
 * @param {number} width @param {number} height
 */
export function clearLayerCanvas(canvas, ctx, width, height) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, width, height);
}

/**
 * A layer over an image: its own on-screen canvas, inserted into the pane, and the
 * offscreen canvas of its pixels on the image grid.
 */
export class ImageLayer {
  /**
   * @param {HTMLElement} root @param {Element} before the canvas it is drawn under
   * @param {string} className the on-screen canvas' class
   */
  constructor(root, before, className) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = className;
    root.insertBefore(this.canvas, before);
    const ctx = this.canvas.getContext("2d");
    const image = new OffscreenCanvas(1, 1);
    const imageCtx = image.getContext("2d");
    if (!ctx || !imageCtx) throw new Error("this browser cannot draw on a canvas");
    this.ctx = ctx;
    this.image = image;
    this.imageCtx = imageCtx;
    /** @type {ImageData | null} the layer's pixels on the frame's grid, or null: none */
    this.shown = null;
  }
}
