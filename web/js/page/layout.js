// The viewports: the layout (1×1 … 2×2, or MPR: 2×2 on one volume, page/mpr.js), the
// panes it shows, which pane is active, and what a pane is told of the page (its host).
import { Pane } from "../viewer/pane.js";
import { $, app, setStatus, viewports } from "./app.js";
import { dragGrip, enterMpr, follow, grip, guidesFor, leaveMpr } from "./mpr.js";
import { enFaceGrip, enFaceGuides, noteBscan } from "./enface.js";
import { syncControls } from "./controls.js";
import { announceView } from "./announce.js";
import { busyClient } from "./engine.js";
import { scheduleViewSave } from "./fragment.js";
import { renderMeasureList } from "./measurements.js";
import { renderSegmentPanel } from "./segments.js";
import { applyView, renderPresentationPanel } from "./presentations.js";
import { renderSeriesList } from "./series-list.js";
import { onLanguage, setAttr } from "./language.js";
import { showTags, tagsShown } from "./tags.js";

// Another language: a waveform's plot draws its words again (labels, scale, caliper).
onLanguage(() => {
  for (const p of app.panes) if (p.waveform?.visible) p.waveform.draw();
});

/** @type {import("../viewer/pane.js").PaneHost} */
const host = {
  client: busyClient,
  smooth: () => app.interpolation === "smooth",
  catalog: () => app.catalog,
  tool: () => app.tool,
  showInfo: () => app.showInfo,
  hidePatient: () => app.hidePatient,
  showOverlays: () => app.showOverlays,
  segmentSettings: () => [...app.segmentSettings.values()],
  keyImagesOnly: () => app.keyImagesOnly,
  measurements: app.measurements,
  onActivate: (pane) => activate(pane.index),
  onChange: (pane) => {
    follow(pane, (message) => setStatus(message, true));
    noteBscan(pane);
    if (pane.index === app.active) {
      renderMeasureList();
      renderSegmentPanel();
      renderPresentationPanel();
      syncControls();
      announceView();
    }
  },
  onError: (message) => setStatus(message, true),
  onView: () => scheduleViewSave(),
  onPresentedArea: (pane, view) => applyView(pane, view),
  nextId: () => (app.measureId += 1),
  guides: {
    lines: (p) => [...guidesFor(p), ...enFaceGuides(p)],
    grip: (p, at) => grip(p, at) ?? enFaceGrip(p, at),
    drag: (p, held, from, at) => (held?.kind === "bscan" ? held : dragGrip(p, held, from, at)),
  },
};

/**
 * @param {string} layout "1x1" | "1x2" | "2x1" | "2x2", or "mpr": axial, coronal,
 *   sagittal and a free plane of the active pane's series, linked by a crosshair
 * @returns {Promise<void>} rejects (the layout as it was) when MPR is not offered
 */
export async function setLayout(layout) {
  const select = /** @type {HTMLSelectElement} */ ($("layout"));
  if (layout === "mpr") {
    const series = app.panes[app.active]?.series ?? -1;
    const before = app.mpr ? "mpr" : viewports.className.replace(/.*layout-/, "");
    leaveMpr();
    showGrid("2x2");
    select.value = "mpr";
    try {
      await enterMpr(series);
      activate(0);
      // shown: what the status line said of a failed or cancelled attempt no longer holds
      if ($("status").classList.contains("error")) setStatus("");
    } catch (error) {
      await setLayout(before === "mpr" ? "1x1" : before);
      throw error;
    }
    return;
  }
  leaveMpr();
  showGrid(layout);
}

/** @param {string} layout "1x1" | "1x2" | "2x1" | "2x2" */
function showGrid(layout) {
  const [rows, cols] = layout.split("x").map(Number);
  const count = rows * cols;
  if (!(count >= 1 && count <= 4)) throw new RangeError(`unknown layout ${layout}`);
  viewports.className = `viewports layout-${layout}`;
  while (app.panes.length < count) {
    const root = document.createElement("div");
    viewports.append(root);
    const pane = new Pane(root, host, app.panes.length);
    app.panes.push(pane);
    focusable(pane);
    // A new pane shows the next series, if there is one.
    const last = app.catalog.series.length - 1;
    if (last >= 0) void pane.select(Math.min(pane.index, last), 0).catch(() => {});
  }
  app.panes.forEach((pane, i) => (pane.root.hidden = i >= count));
  if (app.active >= count) activate(0);
  /** @type {HTMLSelectElement} */ ($("layout")).value = layout;
  app.panes.forEach((pane) => pane.draw());
}

/** @param {number} index */
export function activate(index) {
  app.active = index;
  app.panes.forEach((pane, i) => pane.root.classList.toggle("active", i === index));
  renderSeriesList();
  renderMeasureList();
  renderSegmentPanel();
  syncControls();
  announceView();
  if (tagsShown()) void showTags();
}

/**
 * Each viewport one stop of the Tab order (WCAG 2.1.1, 2.4.3): Tab goes through the
 * viewports and on to the rest of the page; the one focused becomes the active one.
 * @param {import("../viewer/pane.js").Pane} pane
 */
function focusable(pane) {
  const root = pane.root;
  root.tabIndex = 0;
  root.setAttribute("role", "group");
  setAttr(root, "aria-roledescription", "layout.kind");
  setAttr(root, "aria-label", "layout.viewport", { n: pane.index + 1 });
  root.addEventListener("focus", () => {
    if (app.active !== pane.index) activate(pane.index);
  });
}
