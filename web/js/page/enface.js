// OCT B-scans on their en-face image (issue 15 item 3): a pane showing an en-face image
// whose B-scans say where they lie on it (the catalog's `bscans`, lightbox.session.enface)
// draws each B-scan's line from its first to its last A-scan, the current one (the frame of a pane showing the B-scans, else
// the one shown last) bright; a click on a line shows that B-scan: in the pane already
// showing the B-scans, else in another pane of the layout, else in this one.
import { matrixScale } from "../viewer/interaction.js";
import { app } from "./app.js";

/** @typedef {import("../viewer/pane.js").Pane} Pane */
/** @typedef {import("../viewer/interaction.js").Point} Point */

const CURRENT = "#00e5ff";
const OTHER = "rgba(0, 229, 255, 0.4)";
/** CSS pixels from a line within which a click takes it. */
const GRIP_PX = 6;

/** @type {Map<number, number>} the B-scan last shown of each B-scan series */
const last = new Map();

/** @param {Pane} p */
function linkOf(p) {
  const entry = app.catalog.series[p.series];
  return entry && p.shown ? (entry.bscans ?? null) : null;
}

/** @param {number} series the B-scans' series */
function current(series) {
  const showing = app.panes.find((q) => q.series === series);
  return showing ? showing.frame : (last.get(series) ?? 0);
}

/**
 * The B-scans' lines a pane draws over an en-face image (image coordinates).
 * @param {Pane} p
 * @returns {import("../viewer/layer.js").Guide[]}
 */
export function enFaceGuides(p) {
  const link = linkOf(p);
  if (!link) return [];
  const now = current(link.series);
  return link.lines.flatMap((line, k) =>
    line
      ? [
          {
            at: { x: line[0], y: line[1] },
            direction: { x: line[2] - line[0], y: line[3] - line[1] },
            to: { x: line[2], y: line[3] }, // the B-scan's extent: its first to last A-scan
            color: k === now ? CURRENT : OTHER,
            dashed: k !== now,
          },
        ]
      : [],
  );
}

/**
 * A pane changed: remember the B-scan it shows, and redraw the en-face panes marking it.
 * @param {Pane} p
 */
export function noteBscan(p) {
  const entry = app.catalog.series[p.series];
  if (entry?.enFace === undefined) return;
  last.set(p.series, p.frame);
  for (const other of app.panes) if (other !== p && other.series === entry.enFace) other.draw();
}

/**
 * A pointer at image point `at` on an en-face image: the B-scan whose line is within a few
 * CSS pixels is shown; null when none is.
 * @param {Pane} p @param {Point} at
 */
export function enFaceGrip(p, at) {
  const link = linkOf(p);
  if (!link) return null;
  const perPixel = matrixScale(p.matrix()) / (window.devicePixelRatio || 1); // CSS px per image px
  let best = -1;
  let nearest = GRIP_PX;
  link.lines.forEach((line, k) => {
    if (!line) return;
    const distance = toSegment(at, line) * perPixel;
    if (distance <= nearest) [best, nearest] = [k, distance];
  });
  if (best < 0) return null;
  const showing =
    app.panes.find((q) => q.series === link.series) ??
    app.panes.find((q) => q !== p && q.root.isConnected && !q.root.hidden) ??
    p;
  void showing.select(link.series, best);
  last.set(link.series, best);
  return { kind: "bscan", frame: best };
}

/** @param {Point} at @param {number[]} line [x0, y0, x1, y1] */
function toSegment(at, [x0, y0, x1, y1]) {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const length = dx * dx + dy * dy;
  const t = length ? Math.max(0, Math.min(1, ((at.x - x0) * dx + (at.y - y0) * dy) / length)) : 0;
  return Math.hypot(at.x - (x0 + t * dx), at.y - (y0 + t * dy));
}
