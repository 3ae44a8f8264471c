// Measuring with the keyboard alone (issue 18 item 5, WCAG 2.1.1): with a measuring tool
// chosen and a viewport focused, Enter puts a point at the image's centre and starts the
// shape, the arrow keys move its last point (instead of scrolling) and Enter puts the next;
// the shape is measured when it has its points (a probe one, an angle three, the rest two),
// exactly as the pointer's would be.
import { MEASURE_KINDS } from "../viewer/measure.js";
import { app, pane } from "./app.js";

/** The points each kind takes; the others take two. */
const POINTS = /** @type {Record<string, number>} */ ({ probe: 1, angle: 3 });

/** The pane whose shape the keyboard is drawing, or null. */
let drawing = /** @type {import("../viewer/pane.js").Pane | null} */ (null);

/** Enter: start, go on with or finish the shape. @returns {boolean} false: nothing to do */
export function measureKey() {
  const p = pane();
  const kind = app.tool;
  if (!p?.seriesInfo || !MEASURE_KINDS.some((k) => k === kind)) return false;
  const need = POINTS[kind] ?? 2;
  if (drawing !== p || !p.draft) {
    const centre = { x: p.size.width / 2, y: p.size.height / 2 };
    if (need === 1) return finish(p, kind, [centre]);
    drawing = p;
    p.draft = { kind, points: [centre, { ...centre }] };
    p.draw();
    return true;
  }
  const points = p.draft.points;
  if (points.length < need) {
    points.push({ ...points[points.length - 1] });
    p.draw();
    return true;
  }
  return finish(p, p.draft.kind, points);
}

/**
 * @param {import("../viewer/pane.js").Pane} p @param {string} kind
 * @param {{x: number, y: number}[]} points
 */
function finish(p, kind, points) {
  drawing = null;
  p.draft = null;
  void p.finishMeasurement(kind, points);
  return true;
}

/** The image pixels an arrow key moves the point by: a fiftieth of the image's width. */
function stepOf(/** @type {import("../viewer/pane.js").Pane} */ p) {
  return Math.max(1, Math.round(p.size.width / 50));
}

const ARROWS = /** @type {Record<string, [number, number]>} */ ({
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
});

/**
 * An arrow key while the keyboard draws a shape moves its last point.
 * @param {string} key @returns {boolean} false: no shape is drawn, the key scrolls
 */
export function moveKeyPoint(key) {
  const p = pane();
  const arrow = ARROWS[key];
  if (!arrow || drawing !== p || !p?.draft) return false;
  const last = p.draft.points[p.draft.points.length - 1];
  last.x += arrow[0] * stepOf(p);
  last.y += arrow[1] * stepOf(p);
  p.draw();
  return true;
}
