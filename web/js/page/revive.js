// A new engine when the viewer's engine stops after it was ready (issue 19 item 4: out of
// memory, a fatal Python error, the worker ended): the status line says so, a new worker
// starts, what was open is opened again from the File objects the page holds (open.js
// reopenHeld), and the panes draw again. The view (layout, series, frame, window, zoom,
// pan, rotation, the MPR crosshair) and the measurements are the page's own state: they
// were never lost, only the pixels have to be asked again (a slide's µm lengths too: the
// slide view draws the page's measurements of it, viewer/slide.js). A restart that fails too ends
// in the crash notice with Reload (engine.js), never in another restart.
import { $, app, setStatus } from "./app.js";
import { budget, client, setReviver } from "./engine.js";
import { reopenHeld } from "./open.js";
import { renderSeriesList } from "./series-list.js";
import { t, tn } from "../i18n/i18n.js";
import { setText } from "./language.js";

/** @typedef {import("../i18n/i18n.js").Message} Message */

export function attachRevive() {
  setReviver((reason) =>
    revive(reason).catch((error) => {
      $("restarted").hidden = true; // the crash notice says what happened
      throw error;
    }),
  );
  $("restarted-close").addEventListener("click", () => ($("restarted").hidden = true));
}

/** The status line and the notice at the top (until OK) say it. @param {Message} text */
function say(text) {
  setStatus(text);
  setText($("restarted-text"), text.key, text.params);
  $("restarted").hidden = false;
}

/** @param {string} reason why the engine stopped, in words */
async function revive(reason) {
  const why = t("revive.why", { reason: reason.replace(/\.$/, "") });
  const before = app.catalog.series.map((s) => s.uid);
  say({ key: "revive.restarting", params: { why } });
  let files = 0;
  await client.restart(async (call) => {
    await call("setCacheBudget", { bytes: budget.bytes });
    if (before.length || app.catalog.documents?.length)
      say({ key: "revive.reopening", params: { why } });
    files = await reopenHeld(call);
  });
  placePanes(before);
  renderSeriesList();
  const shown = app.panes.filter((p) => !p.root.hidden && p.series >= 0);
  await Promise.allSettled(shown.map((p) => p.changed()));
  if (client.dead) throw new Error("it stopped again while drawing the view");
  const again = files ? tn("revive.again", files) : "";
  say({ key: "revive.restarted", params: { why, again } });
}

/**
 * Each pane's series by its UID in the new catalog (the same index when nothing changed;
 * a pane whose series did not open again is cleared).
 * @param {string[]} before the series' UIDs in the catalog before
 */
function placePanes(before) {
  const now = app.catalog.series.map((s) => s.uid);
  if (now.length === before.length && now.every((uid, i) => uid === before[i])) return;
  for (const p of app.panes) {
    if (p.series < 0) continue;
    const index = now.indexOf(before[p.series]);
    if (index < 0) void p.clear();
    else p.series = index;
  }
}
