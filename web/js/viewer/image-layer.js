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
