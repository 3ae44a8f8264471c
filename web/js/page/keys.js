// The keyboard: the shortcut table (shortcuts.js) wired to the page's actions, the key
// handler, and the `?` help list made from the same table.
import { actualSize, fit, flip, navigate, resetView, rotate, snapshot, zoomBy } from "./actions.js";
import { $, app, reportFailure } from "./app.js";
import { toggleCine } from "./cine.js";
import { applyPreset, setHidePatient, setInvert, setTool } from "./controls.js";
import { toggleInfo, toggleOverlays, toggleSync } from "./controls.js";
import { setLayout } from "./layout.js";
import { turnByKey } from "./mpr.js";
import { deleteLast } from "./measurements.js";
import { controlShortcuts, keyMap, shortcuts } from "./shortcuts.js";
import { toggleConsole } from "./console.js";
import { measureKey, moveKeyPoint } from "./keymeasure.js";
import { tagsShown, toggleTags } from "./tags.js";
import { setText } from "./language.js";

const table = shortcuts({
  navigate: (key) => moveKeyPoint(key) || navigate(key),
  measureKey,
  toggleCine,
  setTool,
  zoomBy,
  applyPreset: (index) => reportFailure(applyPreset(index)),
  invert: () => reportFailure(setInvert()),
  rotate,
  flip,
  fit,
  actualSize,
  resetView,
  toggleInfo,
  toggleOverlays,
  toggleHidePatient: () => setHidePatient(!app.hidePatient),
  toggleTags: () => toggleTags(!tagsShown()),
  snapshot: (withInfo) => reportFailure(snapshot(withInfo)),
  toggleSync,
  deleteLast,
  toggleMpr: () => reportFailure(setLayout(app.mpr ? "1x1" : "mpr")),
  turnPlane: turnByKey,
  toggleHelp,
  toggleConsole,
});
const keys = keyMap(table);

/** The key of each toolbar control that has one (id → key as the user reads it). */
export const shortcutOfControl = controlShortcuts(table);

/** Show or hide the list of shortcuts (toggle without an argument). @param {boolean} [on] */
export function toggleHelp(on) {
  const help = $("help");
  const list = $("help-list");
  const show = on === undefined ? help.hidden : on;
  if (show && !list.childElementCount) {
    for (const { what } of table) {
      const dt = document.createElement("dt");
      setText(dt, `${what}.keys`);
      const dd = document.createElement("dd");
      setText(dd, what);
      list.append(dt, dd);
    }
  }
  help.hidden = !show;
}

/**
 * Keys go to the viewer unless typed into a field (the console's input too) or held with
 * Alt, Ctrl or Meta; Space and Enter on a focused button press that button (WCAG 2.1.1),
 * they do not start the cine.
 */
export function attachKeys() {
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement) return;
    if (target instanceof HTMLTextAreaElement) return; // the console's input (issue 21)
    const pressable = target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
    if (pressable && (event.key === " " || event.key === "Enter")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const handler = keys.get(event.key);
    if (handler && handler() !== false) event.preventDefault();
  });
}
