// The toolbar's state: the controls follow the active pane (frame slider, invert, the
// tool, the window presets of its series), and the page-wide display switches.
import { presetsFor } from "../viewer/presets.js";
import { $, app, pane, press } from "./app.js";
import { renderSegmentPanel } from "./segments.js";
import { renderSeriesList } from "./series-list.js";
import { showTags, tagsShown } from "./tags.js";
import { language, t } from "../i18n/i18n.js";
import { onLanguage } from "./language.js";

/** Set an attribute unless it already has that value. @param {Element} el @param {string} name @param {string} value */
function setAttribute(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

onLanguage(() => syncControls());

export function syncControls() {
  const p = pane();
  if (!p) return;
  // Called on every frame drawn: only what differs is written, so the page has less
  // style and layout to redo.
  const slider = /** @type {HTMLInputElement} */ ($("frame-slider"));
  const max = String(Math.max(1, p.seriesInfo?.frames ?? 1));
  if (slider.max !== max) slider.max = max;
  if (slider.value !== String(p.frame + 1)) slider.value = String(p.frame + 1);
  const disabled = !p.seriesInfo || p.seriesInfo.frames < 2;
  if (slider.disabled !== disabled) slider.disabled = disabled;
  setAttribute($("invert-button"), "aria-pressed", String(p.invert));
  const view3d = /** @type {HTMLSelectElement} */ ($("view-3d"));
  if (view3d.value !== (p.view3d?.preset ?? "")) view3d.value = p.view3d?.preset ?? "";
  for (const button of document.querySelectorAll(".bar .tool")) {
    const tool = /** @type {HTMLElement} */ (button).dataset.tool;
    setAttribute(button, "aria-checked", String(tool === app.tool));
    setAttribute(button, "role", "radio");
  }
  syncPhases(p.view ? p.info?.volume?.phases : undefined);
  syncSlab(p.view ? (p.info?.volumeView ?? null) : null);
  const select = /** @type {HTMLSelectElement} */ ($("preset"));
  const modality = p.seriesInfo?.modality ?? "";
  const windows = p.info?.windows ?? [];
  const key = `${language()}|${modality}|${windows.map((w) => `${w.center}/${w.width}`).join(",")}`;
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren();
    presetsFor(modality, windows).forEach((preset, i) => {
      const option = document.createElement("option");
      option.value = String(i);
      // 1 … 9 choose the first nine (page/shortcuts.js): the option says its key.
      option.textContent =
        i < 9 ? t("preset.numbered", { n: i + 1, label: preset.label }) : preset.label;
      select.append(option);
    });
  }
}

/**
 * The slab of the active pane's reformatted view, when one is shown: the choice, else hidden.
 * @param {import("../rpc/protocol.js").VolumeView | null} shown the view as shown
 */
function syncSlab(shown) {
  const select = /** @type {HTMLSelectElement} */ ($("slab"));
  select.hidden = !shown;
  if (!shown) return;
  const slab = shown.slab ?? 0;
  const range = /** @type {{range?: number[]}} */ (shown).range ?? [0, 0];
  const whole = slab >= Math.abs(range[1] - range[0]);
  const value = !slab ? "" : `${shown.projection}:${whole ? "full" : Math.round(slab)}`;
  if ([...select.options].some((o) => o.value === value) && select.value !== value)
    select.value = value;
}

/**
 * The volumes of the active pane's series, when it holds several (temporal positions,
 * b-values) and a reformatted view is shown: the choice, else hidden.
 * @param {{attribute: string, values: string[], chosen: number} | undefined} phases
 */
function syncPhases(phases) {
  const select = /** @type {HTMLSelectElement} */ ($("phase"));
  const key = phases ? `${phases.attribute}|${phases.values.join(",")}` : "";
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    const name = (phases?.attribute ?? "").replace(/^\([0-9A-F,]+\)\s*/i, "");
    select.replaceChildren(
      ...(phases?.values ?? []).map((value, i) => new Option(`${name} ${value}`, String(i))),
    );
  }
  select.hidden = !phases;
  if (phases && select.value !== String(phases.chosen)) select.value = String(phases.chosen);
}

/** The active pane's window preset number `index` (0: the file's or automatic). @param {number} index */
export function applyPreset(index) {
  const p = pane();
  const preset = presetsFor(p.seriesInfo?.modality ?? "", p.info?.windows ?? [])[index];
  if (!preset) return Promise.resolve();
  /** @type {HTMLSelectElement} */ ($("preset")).value = String(index);
  if (preset.voi !== undefined) return p.setVoi(preset.voi);
  return preset.center === null || preset.width === null
    ? p.clearWindow()
    : p.setWindow(preset.center, preset.width);
}

/** @param {string} tool */
export function setTool(tool) {
  app.tool = tool;
  syncControls();
}

/** @param {boolean} [on] */
export function setInvert(on) {
  return pane().setInvert(on).then(syncControls);
}

export function redrawAll() {
  app.panes.forEach((p) => p.draw());
  renderSeriesList();
  renderSegmentPanel();
}

/** Hide patient information everywhere (for screen sharing), or show it again. @param {boolean} on */
export function setHidePatient(on) {
  app.hidePatient = on;
  press("hide-button", on);
  document.body.classList.toggle("patient-hidden", on);
  document.body.dispatchEvent(new CustomEvent("lightbox-patient-hidden", { detail: { on } }));
  redrawAll();
  if (tagsShown()) void showTags(); // fetched again: hidden values are not on the page
}

/** The on-image information of every pane. */
export function toggleInfo() {
  app.showInfo = !app.showInfo;
  press("info-button", app.showInfo);
  redrawAll();
}

/** The 60xx overlays of every pane: rendered by the worker, so each shown frame is asked again. */
export function toggleOverlays() {
  app.showOverlays = !app.showOverlays;
  press("overlay-button", app.showOverlays);
  app.panes.forEach((p) => p.series >= 0 && void p.changed().catch(() => {}));
}

/** Synchronised scrolling of the series that share a frame of reference. */
export function toggleSync() {
  app.sync = !app.sync;
  press("sync-button", app.sync);
}
