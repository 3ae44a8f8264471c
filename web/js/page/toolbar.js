// The toolbar's and the dialogs' buttons, wired to what they do; the menus, full screen,
// the panels and the clinician layout are menus.js.
import { setView } from "./api.js";
import { actualSize, fit, flip, resetView, rotate, setPhase, showFrame } from "./actions.js";
import { setSlab, snapshot } from "./actions.js";
import { $, app, reportFailure } from "./app.js";
import { fpsChosen, toggleCine } from "./cine.js";
import { applyPreset, setHidePatient, setInvert, setTool } from "./controls.js";
import { toggleInfo, toggleOverlays, toggleSync } from "./controls.js";
import { download } from "./files.js";
import { toggleHelp } from "./keys.js";
import { setLayout } from "./layout.js";
import { measurementsCsv } from "./measurements.js";
import { openDemo } from "./hosted.js";
import { cancelOpen } from "./open.js";
import { openChosen, togglePrivacy } from "./start.js";
import { attachMenus } from "./menus.js";
import { toggleReport } from "./report.js";
import { drawTags, tagsShown, toggleTags } from "./tags.js";

/** @param {string} id @param {(event: MouseEvent) => void} action */
function onClick(id, action) {
  $(id).addEventListener("click", action);
}

export function attachToolbar() {
  onClick("open-button", () => $("open-input").click());
  onClick("open-folder-button", () => $("open-folder-input").click());
  for (const id of ["open-input", "open-folder-input"]) {
    const input = /** @type {HTMLInputElement} */ ($(id));
    input.addEventListener("change", () => {
      if (input.files && input.files.length) reportFailure(openChosen(input.files));
      input.value = "";
    });
  }
  onClick("demo-button", () => reportFailure(openDemo()));
  onClick("invert-button", () => reportFailure(setInvert()));
  onClick("rotate-button", () => rotate(90));
  onClick("fliph-button", () => flip("h"));
  onClick("flipv-button", () => flip("v"));
  onClick("fit-button", () => fit());
  onClick("actual-button", () => actualSize());
  onClick("reset-button", () => resetView());
  onClick("cine-button", () => toggleCine());
  $("fps").addEventListener("change", () => fpsChosen());
  const slider = /** @type {HTMLInputElement} */ ($("frame-slider"));
  slider.addEventListener("input", () => showFrame(Number(slider.value) - 1));
  const layout = /** @type {HTMLSelectElement} */ ($("layout"));
  layout.addEventListener("change", () => reportFailure(setLayout(layout.value)));
  const slab = /** @type {HTMLSelectElement} */ ($("slab"));
  slab.addEventListener("change", () => reportFailure(setSlab(slab.value)));
  const phase = /** @type {HTMLSelectElement} */ ($("phase"));
  phase.addEventListener("change", () => reportFailure(setPhase(Number(phase.value))));
  const preset = /** @type {HTMLSelectElement} */ ($("preset"));
  preset.addEventListener("change", () => reportFailure(applyPreset(Number(preset.value))));
  const view3d = /** @type {HTMLSelectElement} */ ($("view-3d"));
  view3d.addEventListener("change", () =>
    reportFailure(setView(view3d.value ? { mode: "3d", preset: view3d.value } : null)),
  );
  onClick("sync-button", () => toggleSync());
  onClick("info-button", () => toggleInfo());
  onClick("overlay-button", () => toggleOverlays());
  onClick("hide-button", () => setHidePatient(!app.hidePatient));
  onClick("snapshot-button", (event) => reportFailure(snapshot(!event.shiftKey)));
  onClick("tags-button", () => toggleTags(!tagsShown()));
  $("tag-search").addEventListener("input", () => drawTags());
  onClick("csv-button", () => {
    const csv = new Blob([measurementsCsv()], { type: "text/csv" });
    download(csv, "lightbox-measurements.csv");
  });
  onClick("help-button", () => toggleHelp());
  onClick("help-close", () => toggleHelp(false));
  onClick("notices-close", () => ($("notices").hidden = true));
  onClick("progress-cancel", () => cancelOpen());
  onClick("report-button", () => toggleReport());
  onClick("report-close", () => toggleReport(false));
  onClick("reload-button", () => location.reload());
  onClick("privacy-button", () => togglePrivacy(true));
  for (const button of document.querySelectorAll(".bar .tool")) {
    button.addEventListener("click", () =>
      setTool(/** @type {HTMLElement} */ (button).dataset.tool ?? "scroll"),
    );
  }
  attachMenus();
}
