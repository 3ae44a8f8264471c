// Presentation states and SR measurements (issue 16 items 1 and 3). applyPresentation()
// applies a presentation state to the active pane: the worker renders the frame through
// the state's Modality LUT, VOI and Presentation LUT and draws its shutters, overlays,
// graphics and texts (viewer/annotation-layer.js); the page sets the state's rotation and
// flip as the rotate and flip tools do, and zooms and pans to its displayed area (PS3.3
// C.10.4: SCALE TO FIT, TRUE SIZE, MAGNIFY). applyPresentation(null) returns to the file's
// own display. The panel lists the states of the active series, one click each.
import { $, pane, reportFailure } from "./app.js";
import { matrixScale, viewMatrix } from "../viewer/interaction.js";
import { language, said, t } from "../i18n/i18n.js";
import { onLanguage } from "./language.js";

/** CSS pixels per millimetre (CSS: 96 per inch), for TRUE SIZE. */
const CSS_PX_PER_MM = 96 / 25.4;

/**
 * Apply the presentation state with this SOP Instance UID to the active pane, or (null)
 * remove the one applied. Rejects for a UID that is not a state of the active series.
 * @param {string | null} uid
 */
export async function applyPresentation(uid) {
  const p = pane();
  if (uid === null || uid === undefined) {
    const had = p.presentation;
    p.presentation = null;
    if (had) p.resetView();
    await p.changed();
    renderPresentationPanel();
    return;
  }
  const series = p.seriesInfo;
  const found = (series?.objects ?? []).find((o) => o.kind === "PR" && o.uid === uid);
  if (!series || !found)
    throw new Error(`no presentation state ${uid} applies to the series shown`);
  p.presentation = { uid, label: found.label, series: series.uid };
  await p.changed();
  const view = p.info?.presentation;
  if (view) applyView(p, view);
  renderPresentationPanel();
}

/**
 * The state's spatial steps on the pane: flip then rotation (the pane's own order), and
 * the displayed area's zoom and centre.
 * @param {import("../viewer/pane.js").Pane} p @param {any} view
 */
export function applyView(p, view) {
  p.appliedArea = JSON.stringify(view.area ?? null);
  p.rotation = view.rotation ?? 0;
  p.flipH = Boolean(view.flipH);
  p.flipV = Boolean(view.flipV);
  p.zoom = 1;
  p.pan = { x: 0, y: 0 };
  const area = view.area;
  if (area && p.shown) {
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = p.size;
    const [x0, y0, x1, y1] = area.box;
    const geometry = { ...p.viewGeometry(), zoom: 1, pan: { x: 0, y: 0 } };
    const box = [p.canvas.width, p.canvas.height];
    const fit = matrixScale(viewMatrix(width, height, box[0], box[1], geometry, ratio, p.aspect));
    const quarter = ((Math.round(p.rotation / 90) % 4) + 4) % 4;
    const w = x1 - x0;
    const h = (y1 - y0) * p.aspect;
    const [shownW, shownH] = quarter % 2 ? [h, w] : [w, h];
    let scale = Math.min(box[0] / shownW, box[1] / shownH);
    if (area.mode === "TRUE SIZE" && area.spacing) scale = area.spacing[1] * CSS_PX_PER_MM * ratio;
    if (area.mode === "MAGNIFY" && area.magnification) scale = area.magnification;
    p.zoom = scale / fit;
    const m = viewMatrix(
      width,
      height,
      box[0],
      box[1],
      { ...geometry, zoom: p.zoom },
      ratio,
      p.aspect,
    );
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const at = { x: m[0] * cx + m[2] * cy + m[4], y: m[1] * cx + m[3] * cy + m[5] };
    p.pan = { x: (box[0] / 2 - at.x) / ratio, y: (box[1] / 2 - at.y) / ratio };
  }
  p.draw();
}

/** What state() says of the presentation state applied to the active pane, or null. */
export function presentationState() {
  const p = pane();
  const uid = p.presentationUid;
  return uid && p.presentation ? { uid, label: p.presentation.label } : null;
}

/** The SR measurements on the active pane's frame, as state().overlays lists them. */
export function measurementOverlays() {
  return pane().annotations.measurements.map(({ kind, uid, name, value, unit }) => ({
    kind,
    uid,
    name,
    value,
    unit,
  }));
}

onLanguage(() => renderPresentationPanel());

export function renderPresentationPanel() {
  const panel = $("presentation-panel");
  const list = $("presentation-list");
  const p = pane();
  const states = (p?.seriesInfo?.objects ?? []).filter((o) => o.kind === "PR");
  const applied = p?.presentationUid ?? null;
  // What of the applied state could not be read (and was left out): said under it.
  /** @type {{warnings?: string[], warningsSaid?: any[]} | null | undefined} */
  const presentation = applied ? /** @type {any} */ (p?.info)?.presentation : null;
  /** @type {string[]} */
  const warnings = (presentation?.warnings ?? []).map(
    (/** @type {string} */ w, /** @type {number} */ i) => said(presentation?.warningsSaid?.[i], w),
  );
  const blend = presentation ? /** @type {any} */ (presentation).blend : null;
  const blendWarning = blend?.warning ? said(blend.warningSaid, blend.warning) : "";
  const key = JSON.stringify([
    p?.seriesInfo?.uid,
    states,
    applied,
    warnings,
    blendWarning,
    language(),
  ]);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  panel.hidden = !states.length;
  list.replaceChildren();
  for (const state of states) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "presentation-toggle";
    const on = state.uid === applied;
    button.setAttribute("aria-pressed", String(on));
    button.textContent = state.label;
    button.title = t(on ? "presentation.remove" : "presentation.apply");
    button.addEventListener("click", () =>
      reportFailure(applyPresentation(state.uid === pane().presentationUid ? null : state.uid)),
    );
    item.append(button);
    if (on && warnings.length) {
      const note = document.createElement("p");
      note.className = "presentation-warning";
      note.setAttribute("role", "status");
      note.textContent = t("presentation.warnings", { warnings: warnings.join("; ") });
      item.append(note);
    }
    // A blending state whose superimposed series cannot be blended (not open): why.
    if (on && blendWarning) {
      const note = document.createElement("p");
      note.className = "presentation-warning";
      note.setAttribute("role", "status");
      // the engine's message is a clause: a sentence of its own here
      note.textContent =
        blendWarning.charAt(0).toLocaleUpperCase(language()) + blendWarning.slice(1);
      item.append(note);
    }
    list.append(item);
  }
}
