// Page-wide input that is not a key: files dropped anywhere on the page, and the wheel
// over the viewports (Ctrl+wheel zooms the pane under it; the wheel alone scrolls).
import { wheelSteps } from "../viewer/interaction.js";
import { wheelZoom } from "../viewer/pointer.js";
import { step } from "./actions.js";
import { $, app, pane, reportFailure, viewports } from "./app.js";
import { collectDropped } from "./files.js";
import { activate } from "./layout.js";
import { openChosen } from "./start.js";

export function attachDrop() {
  const veil = $("drop-veil");
  let dragDepth = 0;
  document.addEventListener("dragenter", (event) => {
    event.preventDefault();
    dragDepth += 1;
    veil.hidden = false;
  });
  document.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) veil.hidden = true;
  });
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    dragDepth = 0;
    veil.hidden = true;
    if (!event.dataTransfer) return;
    const files = collectDropped(event.dataTransfer);
    reportFailure(files.then((list) => (list.length ? openChosen(list) : undefined)));
  });
}

export function attachWheel() {
  let carry = 0;
  viewports.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const target = app.panes.find((p) => p.root.contains(/** @type {Node} */ (event.target)));
      if (target && target.index !== app.active) activate(target.index);
      if (wheelZoom(pane(), event)) return;
      const result = wheelSteps(carry, event.deltaY, event.deltaMode);
      carry = result.carry;
      if (result.steps) step(result.steps);
    },
    { passive: false },
  );
}
