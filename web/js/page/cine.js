// Cine: the active pane plays its series in a loop, at the file's frame rate unless the
// user set one; a 3D view turns about the patient's head-foot axis instead (with the MIP
// preset, the rotating MIP of angiography and PET). A frame is asked for only when the
// last one has arrived.
import { $, app, pane, press } from "./app.js";
import { setText } from "./language.js";

const fpsInput = /** @type {HTMLInputElement} */ ($("fps"));

/** Frames per second from the input, 1 to 60 (10 when it is not a number). */
function fps() {
  const value = Number(fpsInput.value);
  return Math.min(Math.max(Number.isFinite(value) ? value : 10, 1), 60);
}

/** The user chose a rate: the files' rates no longer replace it. */
export function fpsChosen() {
  fpsInput.dataset.userSet = "1";
}

/** Degrees a 3D view turns per cine frame. */
export const SPIN_DEGREES = 10;

export function startCine() {
  stopCine();
  const p = pane();
  if (p.isVideo) return p.videoBar.start();
  if (p.view3d) return spin(p);
  const rate = p.info?.view?.frameRate;
  if (rate && !fpsInput.dataset.userSet) fpsInput.value = String(Math.round(rate));
  const tick = () => {
    const series = p.seriesInfo;
    if (!series) return stopCine();
    if (!p.inFlight) void p.select(p.series, (p.frame + 1) % series.frames).catch(() => {});
    app.cineTimer = window.setTimeout(tick, 1000 / fps());
  };
  app.cineTimer = window.setTimeout(tick, 1000 / fps());
  press("cine-button", true);
  setText($("cine-button"), "pause");
}

/**
 * Turn the pane's 3D view about the vertical axis, a step a frame; previews while it
 * turns (the full frame follows when it stops).
 * @param {import("../viewer/pane.js").Pane} p
 */
function spin(p) {
  const tick = () => {
    const view = p.view3d;
    if (!view) return stopCine();
    if (!p.inFlight) {
      view.set({ mode: "3d", azimuth: view.azimuth + SPIN_DEGREES });
      view.moved();
    }
    app.cineTimer = window.setTimeout(tick, 1000 / fps());
  };
  app.cineTimer = window.setTimeout(tick, 1000 / fps());
  press("cine-button", true);
  setText($("cine-button"), "pause");
}

export function stopCine() {
  if (app.cineTimer !== null) window.clearTimeout(app.cineTimer);
  app.cineTimer = null;
  press("cine-button", false);
  setText($("cine-button"), "play");
}

export function toggleCine() {
  const p = pane();
  if (p.isVideo) return p.videoBar.toggle(); // a video plays at its own rate (its bar)
  if (app.cineTimer === null) startCine();
  else stopCine();
}
