// Synchronised scrolling: the other visible panes whose series share the frame of
// reference of the one scrolled show their slice nearest to its position.
import { app } from "./app.js";
import { client } from "./engine.js";

/** @typedef {import("../viewer/pane.js").Pane} Pane */

/** A series' frame of reference and slice positions (asked once). @param {number} seriesIndex */
async function geometryOf(seriesIndex) {
  const uid = app.catalog.series[seriesIndex]?.uid;
  if (!uid) return null;
  if (!app.geometry.has(uid)) {
    app.geometry.set(uid, await client.call("geometry", { series: seriesIndex }));
  }
  return app.geometry.get(uid) ?? null;
}

/** After `source` moved: the other panes follow, when sync is on. @param {Pane} source */
export async function syncFrom(source) {
  if (!app.sync || source.series < 0) return;
  const from = await geometryOf(source.series);
  const position = from?.positions[source.frame];
  if (!from?.frameOfReference || position === null || position === undefined) return;
  for (const other of app.panes) {
    if (other === source || other.series < 0 || other.root.hidden) continue;
    const to = await geometryOf(other.series);
    if (!to || to.frameOfReference !== from.frameOfReference) continue;
    let best = -1;
    let distance = Infinity;
    to.positions.forEach((p, i) => {
      if (p !== null && Math.abs(p - position) < distance)
        [best, distance] = [i, Math.abs(p - position)];
    });
    if (best >= 0 && best !== other.frame) void other.select(other.series, best).catch(() => {});
  }
}
