// What the toolbar buttons and the keys do to the active pane: move through the series,
// rotate, flip, zoom, reset, snapshot.
import { clampFrame, frameForKey } from "../viewer/interaction.js";
import { app, pane, reportFailure } from "./app.js";
import { setInvert } from "./controls.js";
import { download } from "./files.js";
import { syncFrom } from "./sync.js";

/** Move `delta` images through the series (the synchronised panes follow). @param {number} delta */
export function step(delta) {
  const p = pane();
  const series = p.seriesInfo;
  if (!series) return;
  const next = clampFrame(p.frame + delta, series.frames);
  if (next === p.frame) return;
  reportFailure(p.select(p.series, next).then(() => syncFrom(p)));
}

/** Show image `frame` (0-based) of the active series. @param {number} frame */
export function showFrame(frame) {
  const p = pane();
  if (p.seriesInfo) reportFailure(p.select(p.series, frame).then(() => syncFrom(p)));
}

/**
 * A navigation key (arrows, Page Up/Down, Home/End): false when there is nothing to move.
 * @param {string} key KeyboardEvent.key
 */
export function navigate(key) {
  const p = pane();
  const series = p.seriesInfo;
  const next = series ? frameForKey(key, p.frame, series.frames) : null;
  if (next === null) return false;
  step(next - p.frame);
  return true;
}

/**
 * Which of a series' volumes (temporal position, b-value) the reformatted views show:
 * the active pane's, or the MPR layout's four.
 * @param {number} index
 */
export async function setPhase(index) {
  const targets = app.mpr ? app.panes.slice(0, 4) : [pane()];
  const shown = targets.filter((p) => p.view);
  await Promise.all(
    shown.map((p) => {
      p.view = { ...(p.view ?? { plane: "axial" }), phase: index };
      return p.changed();
    }),
  );
}

/**
 * The slab of the active pane's reformatted view, from the toolbar's choice: "" (the plane),
 * "mip:30" (a 30 mm MIP), "mip:full" (through the whole volume), "minip:10", "average:5"...
 * @param {string} choice
 */
export async function setSlab(choice) {
  const p = pane();
  if (!p.view) return;
  const [projection, thickness] = choice ? choice.split(":") : [null, "0"];
  const range = p.info?.volumeView?.range ?? [0, 0];
  const slab = thickness === "full" ? 2 * Math.abs(range[1] - range[0]) : Number(thickness);
  p.view = { ...p.view, slab, projection: slab > 0 ? projection : null };
  await p.changed();
}

/** @param {number} degrees */
export function rotate(degrees) {
  const p = pane();
  p.rotation = (((p.rotation + degrees) % 360) + 360) % 360;
  p.draw();
}

/** Flip on screen: with a quarter turn applied, the screen's horizontal is the image's vertical. @param {"h"|"v"} axis */
export function flip(axis) {
  const p = pane();
  const turned = p.rotation % 180 !== 0;
  if ((axis === "h") !== turned) p.flipH = !p.flipH;
  else p.flipV = !p.flipV;
  p.draw();
}

export function fit() {
  const p = pane();
  if (p.slide?.visible) return (p.slide.fit(), p.slide.requestDraw());
  p.zoom = 1;
  p.pan = { x: 0, y: 0 };
  p.draw();
}

export function actualSize() {
  pane().actualSize();
}

/** @param {number} factor */
export function zoomBy(factor) {
  const p = pane();
  if (p.slide?.visible) {
    p.slide.zoomBy(factor); // a slide zooms about its centre
    return;
  }
  if (p.waveform?.visible) {
    p.waveform.set({ pxPerMs: p.waveform.pxPerMs * factor }); // a waveform zooms in time
    reportFailure(p.changed());
    return;
  }
  p.zoom = Math.min(Math.max(p.zoom * factor, 0.05), 64);
  p.draw();
}

/** Back to the fitted, unturned view, with the file's window and no inversion. */
export function resetView() {
  const p = pane();
  p.resetView();
  if (p.windows.has(p.series)) reportFailure(p.clearWindow());
  if (p.invert) reportFailure(setInvert(false));
}

/** Save the active pane as a PNG, with or without the on-image text. @param {boolean} withInfo */
export async function snapshot(withInfo) {
  const blob = await pane().snapshot(withInfo);
  download(blob, `lightbox-${withInfo ? "with-info" : "image"}.png`);
}
