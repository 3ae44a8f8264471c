// Pointer and wheel gestures on a viewport: a drag does what the tool says (right button:
// window, middle button: pan, whatever the tool), two fingers pinch-zoom and pan, the
// measurement tools draw their shape, Ctrl+wheel zooms; in the MPR layout, a drag that
// starts on a guide moves the crosshair or turns the free plane (page/mpr.js). The math is interaction.js's.
import { clampFrame, wheelZoomFactor, windowFromDrag, zoomAbout } from "./interaction.js";
import { MEASURE_KINDS } from "./measure.js";

/** @typedef {import("./pane.js").Pane} Pane */
/** @typedef {{x: number, y: number}} Position client (CSS) pixels */
/** @typedef {{mode: string, x: number, y: number, start: any}} Drag */

/** how long after the last window/level drag step the viewer keeps drawing coarse previews */
const PREVIEW_MS = 200;

/** @param {string} mode @returns {boolean} */
function isMeasure(mode) {
  return MEASURE_KINDS.some((kind) => kind === mode);
}

/**
 * Listen to the pane's pointer events.
 * @param {Pane} pane
 */
export function attachPointer(pane) {
  /** @type {Map<number, Position>} */
  const pointers = new Map();
  /** @type {Drag | null} */
  let drag = null;
  /** @type {null | {distance: number, mid: Position, zoom: number, pan: Position}} */
  let pinch = null;
  const root = pane.root;
  root.addEventListener("contextmenu", (event) => event.preventDefault());
  root.addEventListener("pointerdown", (event) => {
    pane.host.onActivate(pane);
    try {
      root.setPointerCapture(event.pointerId);
    } catch {
      // a synthetic or already-released pointer cannot be captured; the drag still works
    }
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      pinch = { distance, mid, zoom: pane.zoom, pan: { ...pane.pan } };
      drag = null;
      pane.draft = null;
      return;
    }
    if (pane.series < 0 || !pane.shown) return;
    // In the MPR layout, the left button on a guide (crosshair) takes hold of it.
    const at = pane.toImage(event.clientX, event.clientY);
    const held = event.button === 0 && !pane.draft ? pane.host.guides?.grip(pane, at) : null;
    if (held) {
      drag = { mode: "guide", x: event.clientX, y: event.clientY, start: { held, from: at } };
      event.preventDefault();
      return;
    }
    const mode = event.button === 2 ? "wl" : event.button === 1 ? "pan" : pane.host.tool();
    drag = { mode, x: event.clientX, y: event.clientY, start: dragStart(pane, mode, event) };
    event.preventDefault();
  });
  root.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && pointers.size >= 2) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const zoom = pinch.zoom * (distance / Math.max(pinch.distance, 1));
      pane.zoom = Math.min(Math.max(zoom, 0.05), 64);
      pane.pan = { x: pinch.pan.x + mid.x - pinch.mid.x, y: pinch.pan.y + mid.y - pinch.mid.y };
      pane.draw();
      return;
    }
    if (drag) dragMove(pane, drag, event);
  });
  const end = (/** @type {PointerEvent} */ event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
    if (drag) {
      const done = drag;
      drag = null;
      dragEnd(pane, done, event);
    }
  };
  root.addEventListener("pointerup", end);
  root.addEventListener("pointercancel", end);
}

/**
 * What a drag starts from (and, for the measurement tools, the draft it starts).
 * @param {Pane} pane @param {string} mode @param {PointerEvent} event
 */
function dragStart(pane, mode, event) {
  const point = pane.toImage(event.clientX, event.clientY);
  if (mode === "wl") {
    const info = pane.info;
    const current = pane.windows.get(pane.series);
    return current
      ? { center: current[0], width: current[1] }
      : { center: info?.windowCenter ?? 128, width: info?.windowWidth ?? 256 };
  }
  if (mode === "pan") return { ...pane.pan };
  if (mode === "zoom") return { zoom: pane.zoom, pan: { ...pane.pan } };
  if (mode === "scroll") return { frame: pane.frame };
  if (mode === "angle" && pane.draft?.kind === "angle" && pane.draft.points.length === 2) {
    return { angleThird: true };
  }
  if (mode === "probe") pane.draft = { kind: "probe", points: [point] };
  else if (isMeasure(mode)) pane.draft = { kind: mode, points: [point, point] };
  return { point };
}

/** @param {Pane} pane @param {Drag} drag @param {PointerEvent} event */
function dragMove(pane, drag, event) {
  const dx = event.clientX - drag.x;
  const dy = event.clientY - drag.y;
  switch (drag.mode) {
    case "guide": {
      const at = pane.toImage(event.clientX, event.clientY);
      const { held, from } = drag.start;
      drag.start = { held: pane.host.guides?.drag(pane, held, from, at) ?? held, from: at };
      break;
    }
    case "wl": {
      const next = windowFromDrag(drag.start, dx, dy);
      pane.previewUntil = performance.now() + PREVIEW_MS;
      void pane.setWindow(next.center, next.width).catch(() => {});
      break;
    }
    case "pan":
      pane.pan = { x: drag.start.x + dx, y: drag.start.y + dy };
      pane.draw();
      break;
    case "zoom": {
      const rect = pane.root.getBoundingClientRect();
      const next = zoomAbout(
        { ...pane.viewGeometry(), zoom: drag.start.zoom, pan: drag.start.pan },
        wheelZoomFactor(dy * 2),
        { x: drag.x - rect.left, y: drag.y - rect.top },
        { width: rect.width, height: rect.height },
      );
      pane.zoom = next.zoom;
      pane.pan = next.pan;
      pane.draw();
      break;
    }
    case "scroll": {
      const frames = pane.seriesInfo?.frames ?? 1;
      const next = clampFrame(drag.start.frame + Math.round(dy / 8), frames);
      if (next !== pane.frame) void pane.select(pane.series, next).catch(() => {});
      break;
    }
    default:
      if (pane.draft && pane.draft.kind !== "probe") {
        pane.draft.points[pane.draft.points.length - 1] = pane.toImage(
          event.clientX,
          event.clientY,
        );
        pane.draw();
      }
  }
}

/** @param {Pane} pane @param {Drag} drag @param {PointerEvent} event */
function dragEnd(pane, drag, event) {
  const draft = pane.draft;
  if (!draft || !isMeasure(drag.mode)) return;
  const point = pane.toImage(event.clientX, event.clientY);
  if (draft.kind === "angle" && draft.points.length === 2 && !drag.start.angleThird) {
    draft.points[1] = point;
    draft.points.push(point); // the third point follows the next click
    pane.draw();
    return;
  }
  if (draft.kind !== "probe") draft.points[draft.points.length - 1] = point;
  pane.draft = null;
  void pane.finishMeasurement(draft.kind, draft.points);
}

/**
 * Ctrl+wheel (and a trackpad's pinch) zooms about the cursor.
 * @param {Pane} pane @param {WheelEvent} event
 * @returns {boolean} whether the wheel zoomed (else it is the page's: it scrolls)
 */
export function wheelZoom(pane, event) {
  if (!(event.ctrlKey || event.metaKey)) return false;
  const rect = pane.root.getBoundingClientRect();
  const next = zoomAbout(
    pane.viewGeometry(),
    wheelZoomFactor(event.deltaY),
    { x: event.clientX - rect.left, y: event.clientY - rect.top },
    { width: rect.width, height: rect.height },
  );
  pane.zoom = next.zoom;
  pane.pan = next.pan;
  pane.draw();
  return true;
}
