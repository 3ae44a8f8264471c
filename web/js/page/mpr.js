// The MPR layout (issue 14 item 2): four panes on one series' volume (axial, coronal,
// sagittal and a free oblique plane), linked by a crosshair, a point in patient
// coordinates (mm) that every plane goes through. Each pane draws where the other three
// cut it (its guides, in their planes' colours); dragging the crosshair's centre moves
// the point in that pane's plane, dragging one line moves that plane alone, dragging the
// free plane's line away from the centre turns it about the pane's normal; scrolling a
// pane moves its plane, and with it the point, along its normal. Window/level follows
// across the four. The geometry is viewer/crosshair.js's; this module keeps the state.
import {
  cutLine,
  distanceToLine,
  dot,
  fromView,
  normalOf,
  rotateAbout,
  toView,
} from "../viewer/crosshair.js";
import { matrixScale } from "../viewer/interaction.js";
import { $, app } from "./app.js";
import { busyClient as client } from "./engine.js";
import { t } from "../i18n/i18n.js";

/** @typedef {import("../viewer/pane.js").Pane} Pane */
/** @typedef {import("../viewer/crosshair.js").Vec3} Vec3 */
/** @typedef {import("../viewer/interaction.js").Point} Point */
/** @typedef {import("../viewer/layer.js").Guide} Guide */
/**
 * @typedef {{series: number, point: Vec3 | null, normal: Vec3, entering: boolean}} Mpr
 *   point: the crosshair (null until the first plane is drawn); normal: the free plane's
 * @typedef {{kind: "centre"} | {kind: "plane", normal: Vec3}
 *         | {kind: "turn", normal: Vec3}} Grip
 *   what a drag took hold of: the centre, one plane's line, or the free plane's line away
 *   from the centre (turned about the pane's normal)
 */

/** The four planes, pane by pane. */
export const PLANES = /** @type {const} */ (["axial", "coronal", "sagittal", "oblique"]);
/** Each plane's colour: its guides in the other panes, and its pane's edge. */
export const PLANE_COLORS = {
  axial: "#e2574c",
  coronal: "#4cbf5a",
  sagittal: "#e6c229",
  oblique: "#4ea3ff",
};
/**
 * The free plane to begin with: coronal, turned 30° about the head-foot axis and tilted
 * 20° about the left-right one, so that its line is none of the others' in any pane.
 */
const FREE_START = rotateAbout(rotateAbout([0, 1, 0], [0, 0, 1], 30), [1, 0, 0], 20);
/** How near (CSS pixels) a pointer must be to a guide to take hold of it. */
const GRIP_PX = 8;
/** Beyond this distance (CSS pixels) from the centre, the free plane's line turns it. */
const TURN_PX = 40;

/** @returns {Mpr | null} */
function mpr() {
  return /** @type {Mpr | null} */ (app.mpr);
}

/** The panes of the layout, with their planes. @returns {[Pane, string][]} */
function mprPanes() {
  return app.panes.slice(0, 4).map((p, i) => [p, PLANES[i]]);
}

/** @param {Pane} p @returns {string | null} the pane's plane when it is one of the layout's */
export function planeOf(p) {
  return mpr() && p.index < 4 && p.view ? PLANES[p.index] : null;
}

/** A pane's normal: the free plane's, or what its last frame was drawn with. @param {Pane} p */
function normalFor(p) {
  const state = mpr();
  if (!state) return null;
  if (PLANES[p.index] === "oblique") return state.normal;
  const shown = p.info?.volumeView?.normal;
  return shown ? /** @type {Vec3} */ (shown) : null;
}

/**
 * Show the MPR layout's four planes of `series` (the panes are already laid out 2×2).
 * Rejects, leaving the panes as they were asked, when the series is not a volume.
 * @param {number} series
 */
export async function enterMpr(series) {
  if (!app.catalog.series[series]) throw new Error("open a CT or MR series first");
  await client.ready;
  const volume = await client.call("volumeInfo", { series });
  if (!volume.dims) {
    const first = volume.warnings[0];
    const reason = { said: first?.said ?? { text: first?.message ?? "" } };
    throw new Error(t("mpr.not_offered", { reason }));
  }
  /** @type {Mpr} */
  const state = { series, point: null, normal: FREE_START, entering: true };
  app.mpr = state;
  // The window and inversion of the pane the layout was asked from hold in all four.
  const source = app.panes[app.active];
  const window = source?.series === series ? source.windows.get(series) : undefined;
  const invert = source?.series === series && source.invert;
  const phase = source?.series === series ? (source.view?.phase ?? null) : null;
  try {
    const panes = mprPanes();
    for (const [p, plane] of panes) {
      p.root.dataset.plane = plane;
      if (window) p.windows.set(series, window);
      else p.windows.delete(series);
      p.invert = invert;
      if (p.series !== series) await p.select(series, 0);
      p.resetView();
    }
    const [first] = panes[0];
    await first.showView({ plane: "axial", phase });
    const reslice = first.info?.reslice;
    if (!reslice) throw new Error("the axial plane came without its geometry");
    state.point = fromView(reslice, { x: reslice.columns / 2, y: reslice.rows / 2 });
    await Promise.all(
      panes.slice(1).map(([p, plane]) =>
        p.showView({
          plane,
          normal: plane === "oblique" ? state.normal : null,
          position: plane === "oblique" && state.point ? dot(state.point, state.normal) : null,
          phase,
        }),
      ),
    );
    state.entering = false;
    await setCrosshair(state.point);
  } catch (error) {
    leaveMpr();
    throw error;
  }
}

/** Back to independent panes showing their acquired images. */
export function leaveMpr() {
  if (!app.mpr) return;
  app.mpr = null;
  const select = /** @type {HTMLSelectElement} */ ($("layout"));
  if (select.value === "mpr") select.value = "2x2";
  for (const [p] of mprPanes()) {
    delete p.root.dataset.plane;
    if (p.view) void p.showView(null).catch(() => {});
  }
}

/**
 * Move the crosshair to `point` (patient mm): every plane goes through it.
 * @param {number[]} point
 */
export async function setCrosshair(point) {
  const state = mpr();
  if (!state) throw new Error("the MPR layout is not shown");
  if (point.length !== 3 || !point.every(Number.isFinite))
    throw new RangeError(`the crosshair is a point [x, y, z] in mm, not ${point}`);
  state.point = /** @type {Vec3} */ ([...point]);
  /** @type {Promise<unknown>[]} */
  const pending = [];
  for (const [p] of mprPanes()) {
    const normal = normalFor(p);
    if (!p.view || !normal) continue;
    const position = dot(state.point, normal);
    if (Math.abs((p.view.position ?? Infinity) - position) > 1e-6) {
      p.view = { ...p.view, position };
      pending.push(p.changed());
    } else p.draw();
  }
  await Promise.all(pending);
}

/**
 * Turn the free plane by `degrees` about `axis` (patient coordinates), through the
 * crosshair.
 * @param {number[]} axis @param {number} degrees
 */
export function turnFreePlane(axis, degrees) {
  const state = mpr();
  if (!state || !state.point) return Promise.reject(new Error("the MPR layout is not shown"));
  state.normal = rotateAbout(state.normal, axis, degrees);
  const free = app.panes[3];
  free.view = {
    ...(free.view ?? { plane: "oblique" }),
    normal: state.normal,
    position: dot(state.point, state.normal),
  };
  for (const [p] of mprPanes().slice(0, 3)) p.draw();
  return free.changed();
}

/**
 * The keys' turn of the free plane, about an axis of the active pane: its normal
 * ("in-plane": the free plane's line turns in that pane) or its horizontal ("tilt"). In
 * the free pane itself, about its vertical and horizontal.
 * @param {"in-plane" | "tilt"} how @param {number} degrees
 * @returns {boolean} false when the MPR layout is not shown
 */
export function turnByKey(how, degrees) {
  const p = app.panes[app.active];
  const reslice = p?.info?.reslice;
  if (!mpr() || !reslice || !planeOf(p)) return false;
  const free = PLANES[p.index] === "oblique";
  const axis =
    how === "tilt" ? reslice.rowDirection : free ? reslice.columnDirection : normalOf(reslice);
  void turnFreePlane(axis, degrees).catch(() => {});
  return true;
}

/**
 * After a pane changed: in the layout, a plane that moved (scrolled) carries the
 * crosshair along its normal, and a window set in one pane is set in the others; a pane
 * given another series shows the layout of that one.
 * @param {Pane} p
 * @param {(message: string) => void} onError
 */
export function follow(p, onError) {
  const state = mpr();
  if (!state || state.entering || !state.point || p.index > 3) return;
  if (p.series !== state.series) {
    void enterMpr(p.series).catch((/** @type {Error} */ error) => {
      leaveMpr();
      onError(error.message);
    });
    return;
  }
  const normal = normalFor(p);
  const position = p.view?.position;
  if (normal && position !== null && position !== undefined) {
    const moved = position - dot(state.point, normal);
    if (Math.abs(moved) > 1e-3) {
      const point = state.point.map((v, i) => v + moved * normal[i]);
      void setCrosshair(point).catch(() => {});
    }
  }
  const window = p.windows.get(p.series);
  for (const [other] of mprPanes()) {
    if (other === p) continue;
    const theirs = other.windows.get(other.series);
    if (window && (theirs?.[0] !== window[0] || theirs?.[1] !== window[1]))
      void other.setWindow(window[0], window[1]).catch(() => {});
    else if (!window && theirs) void other.clearWindow().catch(() => {});
  }
}

/**
 * The guides a pane draws: where the other planes cut it, in image coordinates.
 * @param {Pane} p @returns {Guide[]}
 */
export function guidesFor(p) {
  const state = mpr();
  const reslice = p.info?.reslice;
  if (!state?.point || !reslice || !planeOf(p)) return [];
  /** @type {Guide[]} */
  const guides = [];
  for (const [other, plane] of mprPanes()) {
    const normal = other === p ? null : normalFor(other);
    const line = normal && cutLine(reslice, state.point, normal);
    if (line) {
      const color = PLANE_COLORS[/** @type {keyof PLANE_COLORS} */ (plane)];
      guides.push({ ...line, color, dashed: plane === "oblique" });
    }
  }
  return guides;
}

/**
 * What a pointer at `at` (image coordinates) takes hold of in pane `p`, or null.
 * @param {Pane} p @param {Point} at @returns {Grip | null}
 */
export function grip(p, at) {
  const state = mpr();
  const reslice = p.info?.reslice;
  if (!state?.point || !reslice || !planeOf(p)) return null;
  const perPixel = matrixScale(p.matrix()) / (window.devicePixelRatio || 1); // CSS px per image px
  const centre = toView(reslice, state.point);
  const fromCentre = Math.hypot(at.x - centre.x, at.y - centre.y) * perPixel;
  if (fromCentre <= GRIP_PX * 1.5) return { kind: "centre" };
  let best = /** @type {Grip | null} */ (null);
  let nearest = GRIP_PX;
  for (const [other, plane] of mprPanes()) {
    const normal = other === p ? null : normalFor(other);
    const line = normal && cutLine(reslice, state.point, normal);
    if (!normal || !line) continue;
    const distance = distanceToLine(at, line.at, line.direction) * perPixel;
    if (distance > nearest) continue;
    nearest = distance;
    best =
      plane === "oblique" && fromCentre > TURN_PX
        ? { kind: "turn", normal: normalOf(reslice) }
        : { kind: "plane", normal };
  }
  return best;
}

/**
 * A drag of what `held` took hold of, from where it started to `at` (image coordinates).
 * @param {Pane} p @param {Grip} held @param {Point} from @param {Point} at
 * @returns {Grip} what the drag holds next
 */
export function dragGrip(p, held, from, at) {
  const state = mpr();
  const reslice = p.info?.reslice;
  if (!state?.point || !reslice) return held;
  if (held.kind === "turn") {
    const centre = toView(reslice, state.point);
    const before = Math.atan2(from.y - centre.y, from.x - centre.x);
    const now = Math.atan2(at.y - centre.y, at.x - centre.x);
    // Image y runs down and the normal points into the screen: an angle growing on
    // screen is clockwise, a right-handed turn about the normal.
    const degrees = ((now - before) * 180) / Math.PI;
    void turnFreePlane(held.normal, degrees).catch(() => {});
    return held;
  }
  const target = fromView(reslice, at);
  const start = fromView(reslice, from);
  const delta = target.map((v, i) => v - start[i]);
  const moved = held.kind === "plane" ? held.normal.map((n) => n * dot(delta, held.normal)) : delta;
  void setCrosshair(state.point.map((v, i) => v + moved[i])).catch(() => {});
  return held;
}

/** The layout's state for `state()`: the series, the crosshair and the free plane's normal. */
export function mprState() {
  const state = mpr();
  return state ? { series: state.series, crosshair: state.point, freeNormal: state.normal } : null;
}
