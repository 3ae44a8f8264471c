// The measurement layer of a viewport: the measurements of the frame shown, the one being
// drawn, the calibrated ruler, and an MPR pane's guides (where the other planes cut it). Drawn on its own canvas above the image, so that a
// measurement changing never redraws the image.
import { applyMatrix, matrixScale, scaleBar } from "./interaction.js";

/** @typedef {import("./interaction.js").Matrix} Matrix */
/** @typedef {import("./interaction.js").Point} Point */
/** @typedef {import("./interaction.js").Calibration} Calibration */
/**
 * @typedef {{kind: string, points: Point[], label: string}} Shape
 * A line across the whole view through `at` along `direction` (image coordinates); with
 * `to`, only the segment from `at` to `to` (an OCT B-scan's extent on its en-face image).
 * @typedef {{at: Point, direction: Point, to?: Point, color: string, dashed: boolean}} Guide
 * @typedef {{matrix: Matrix, ratio: number, rotation: number, shapes: Shape[],
 *            draft: Shape | null, ruler: Calibration | null, guides?: Guide[]}} LayerContent
 *   ratio: canvas pixels per CSS pixel; ruler: the calibration to draw a ruler for, or null
 */

const MEASURE_COLOR = "#ffd54a";
const RULER_COLOR = "#f0f0f0";

/**
 * Clear the layer and draw its content (nothing but the clearing when `content` is null).
 * @param {CanvasRenderingContext2D} ctx
 * @param {LayerContent | null} content
 */
export function drawLayer(ctx, content) {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  if (!content) return;
  const { matrix, ratio } = content;
  for (const guide of content.guides ?? []) drawGuide(ctx, matrix, ratio, guide);
  ctx.lineWidth = 1.5 * ratio;
  ctx.font = `${12 * ratio}px system-ui, sans-serif`;
  ctx.strokeStyle = MEASURE_COLOR;
  ctx.fillStyle = MEASURE_COLOR;
  for (const shape of content.shapes) drawShape(ctx, matrix, shape);
  if (content.draft) drawShape(ctx, matrix, { ...content.draft, label: "" });
  if (content.ruler) drawRuler(ctx, matrix, ratio, content.rotation, content.ruler);
}

/**
 * A guide: a line through the whole canvas, with a gap of 10 CSS pixels each side of
 * the crosshair so that what is under it stays visible; a segment (`to`) has no gap.
 * @param {CanvasRenderingContext2D} ctx @param {Matrix} m @param {number} ratio @param {Guide} guide
 */
function drawGuide(ctx, m, ratio, { at, direction, to, color, dashed }) {
  const centre = applyMatrix(m, at);
  const ahead = applyMatrix(m, { x: at.x + direction.x, y: at.y + direction.y });
  const [dx, dy] = [ahead.x - centre.x, ahead.y - centre.y];
  const length = Math.hypot(dx, dy) || 1;
  const [ux, uy] = [dx / length, dy / length];
  // A guide along a row or a column runs through pixel centres, so that it is one crisp
  // line of whole pixels wherever the crosshair falls (not two half-covered ones).
  if (Math.abs(uy) < 1e-6) centre.y = Math.floor(centre.y) + 0.5;
  if (Math.abs(ux) < 1e-6) centre.x = Math.floor(centre.x) + 0.5;
  const far = ctx.canvas.width + ctx.canvas.height;
  const gap = 10 * ratio;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.25 * ratio;
  ctx.setLineDash(dashed ? [6 * ratio, 4 * ratio] : []);
  ctx.beginPath();
  if (to) {
    const end = applyMatrix(m, to); // snapped as its start is: along the same pixel centres
    ctx.moveTo(centre.x, centre.y);
    ctx.lineTo(Math.abs(ux) < 1e-6 ? centre.x : end.x, Math.abs(uy) < 1e-6 ? centre.y : end.y);
  }
  for (const sign of to ? [] : [-1, 1]) {
    ctx.moveTo(centre.x + sign * gap * ux, centre.y + sign * gap * uy);
    ctx.lineTo(centre.x + sign * far * ux, centre.y + sign * far * uy);
  }
  ctx.stroke();
  ctx.restore();
}

/**
 * A scale bar from the calibration: vertical, on the right edge, below the orientation
 * marker and clear of the text.
 * @param {CanvasRenderingContext2D} ctx @param {Matrix} m @param {number} ratio
 * @param {number} rotation @param {Calibration} cal
 */
function drawRuler(ctx, m, ratio, rotation, cal) {
  // The ruler is vertical on screen: rows, or columns when turned a quarter; canvas
  // pixels per mm along that image axis.
  const rows = rotation % 180 === 0;
  const spacing = (rows ? cal.row_mm : cal.column_mm) || cal.column_mm || 0;
  const perPixel = rows ? Math.hypot(m[2], m[3]) : matrixScale(m);
  const bar = scaleBar(perPixel / ratio / spacing);
  if (!bar) return;
  const x = ctx.canvas.width - 12 * ratio;
  const y0 = ctx.canvas.height * 0.58;
  const y1 = y0 + bar.pixels * ratio;
  ctx.save();
  // A dark halo keeps the bar and its label readable over a bright image edge.
  ctx.shadowColor = "#000";
  ctx.shadowBlur = 3 * ratio;
  ctx.strokeStyle = RULER_COLOR;
  ctx.fillStyle = RULER_COLOR;
  ctx.beginPath();
  ctx.moveTo(x - 4 * ratio, y0);
  ctx.lineTo(x, y0);
  ctx.lineTo(x, y1);
  ctx.lineTo(x - 4 * ratio, y1);
  ctx.stroke();
  const label = bar.mm >= 10 ? `${bar.mm / 10} cm` : `${bar.mm} mm`;
  ctx.textAlign = "right";
  ctx.fillText(label, x - 6 * ratio, (y0 + y1) / 2 + 4 * ratio);
  ctx.restore();
}

/**
 * One measurement, its points in image pixels.
 * @param {CanvasRenderingContext2D} ctx @param {Matrix} m @param {Shape} shape
 */
function drawShape(ctx, m, { kind, points, label }) {
  const screen = points.map((p) => applyMatrix(m, p));
  ctx.beginPath();
  if (kind === "length" || kind === "angle") {
    screen.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
  } else if ((kind === "rect" || kind === "ellipse") && screen.length === 2) {
    // Boxes are axis-aligned in the image: draw through the four image corners.
    const [a, b] = points;
    const corners = [a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }].map((p) => applyMatrix(m, p));
    if (kind === "rect") {
      corners.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
      ctx.closePath();
    } else {
      const centre = applyMatrix(m, { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
      const rx = Math.hypot(corners[1].x - corners[0].x, corners[1].y - corners[0].y) / 2;
      const ry = Math.hypot(corners[3].x - corners[0].x, corners[3].y - corners[0].y) / 2;
      const angle = Math.atan2(corners[1].y - corners[0].y, corners[1].x - corners[0].x);
      ctx.ellipse(centre.x, centre.y, rx, ry, angle, 0, Math.PI * 2);
    }
  } else if (kind === "probe" && screen.length) {
    const p = screen[0];
    ctx.moveTo(p.x - 6, p.y);
    ctx.lineTo(p.x + 6, p.y);
    ctx.moveTo(p.x, p.y - 6);
    ctx.lineTo(p.x, p.y + 6);
  }
  ctx.stroke();
  if (label && screen.length) {
    const anchor = screen[screen.length - 1];
    ctx.fillText(label, anchor.x + 6, anchor.y - 6);
  }
}
