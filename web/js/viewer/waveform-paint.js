// The waveform plot's drawing (issue 15 item 3): ECG paper (a line every mm, a major one
// every 5 mm), one trace per channel with its label, the annotations, the caliper and the
// playhead, on a 2D canvas in plot pixels. Everything it draws comes from the plot the
// worker made (protocol.js WaveformPlot) and what the view holds; it keeps no state.
import { gridLines } from "./waveform-math.js";
import { said, t } from "../i18n/i18n.js";

/** @typedef {import("../rpc/protocol.js").WaveformPlot} WaveformPlot */
/** @typedef {import("./waveform-math.js").Point} Point */
/**
 * What one drawing needs: the plot and its points, the caliper and what it measures, the
 * playhead's time (seconds, or null), the width the header text may take, the pixel ratio.
 * @typedef {{info: WaveformPlot | null, points: Float32Array,
 *            caliper: {from: Point, to: Point} | null, measured: {ms: number, mv: number} | null,
 *            position: number | null, headerWidth: number, ratio: number}} Scene
 * @typedef {{left: number, right: number, top: number, bottom: number, start: number,
 *            pxPerMs: number, pxPerMv: number}} Area
 */

const PAPER = "#fff";
const MINOR = "#f6d0d0";
const MAJOR = "#e58c8c";
const TRACE = "#000";
const NOTE = "#0a5fb4";
const CALIPER = "#0050ff";
const PLAYHEAD = "#0a8a3a";
/** UCUM voltage units (lightbox.waveform.samples.MV_PER_UNIT): plotted at px per mV. */
export const VOLTAGES = ["nV", "uV", "mV", "V"];

/** @param {number} value @returns {number} to one decimal */
const round1 = (value) => Math.round(value * 10) / 10;

/**
 * Draw a scene on the whole canvas.
 * @param {CanvasRenderingContext2D} ctx @param {Scene} scene
 */
export function paint(ctx, scene) {
  const { info, points } = scene;
  const { width, height } = ctx.canvas;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, width, height);
  if (!info || !info.plot.length) return;
  const rows = info.plot;
  /** @type {Area} */
  const area = {
    left: rows[0].left,
    right: rows[0].right,
    top: rows[0].top,
    bottom: rows[rows.length - 1].bottom,
    start: info.window[0],
    pxPerMs: info.pxPerMs,
    pxPerMv: info.pxPerMv,
  };
  paintGrid(ctx, area);
  paintNotes(ctx, info, area);
  paintTraces(ctx, info, points);
  paintHeader(ctx, info, scene);
  paintCaliper(ctx, scene);
  paintPlayhead(ctx, area, scene.position);
}

/** @param {CanvasRenderingContext2D} ctx @param {WaveformPlot} info @param {Float32Array} points */
function paintTraces(ctx, info, points) {
  ctx.lineJoin = "round";
  ctx.strokeStyle = TRACE;
  ctx.lineWidth = 1.25;
  ctx.fillStyle = TRACE;
  ctx.textBaseline = "middle";
  ctx.font = "bold 13px system-ui, sans-serif";
  for (const row of info.plot) {
    const [offset, count] = row.points;
    ctx.beginPath();
    for (let i = 0; i < count; i += 1) {
      const x = points[2 * (offset + i)];
      const y = points[2 * (offset + i) + 1];
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.fillText(said(row.labelSaid, row.label), 4, row.baseline, row.left - 8);
    if (!VOLTAGES.includes(row.units)) {
      ctx.font = "11px system-ui, sans-serif"; // no mV: the row is scaled to fit, say in what
      ctx.fillText(row.units, 4, row.baseline + 14, row.left - 8);
      ctx.font = "bold 13px system-ui, sans-serif";
    }
  }
}

/** The line above the plot: the group, the scale, the annotations without a time.
 * @param {CanvasRenderingContext2D} ctx @param {WaveformPlot} info @param {Scene} scene */
function paintHeader(ctx, info, scene) {
  const rows = info.plot;
  ctx.fillStyle = TRACE;
  ctx.font = "12px system-ui, sans-serif";
  ctx.textBaseline = "top";
  const mm = 4 * scene.ratio; // plot pixels a millimetre at the paper's scale
  const voltage = rows.some((r) => VOLTAGES.includes(r.units));
  const scale = voltage
    ? t("waveform.scale", {
        speed: round1((info.pxPerMs * 1000) / mm),
        gain: round1(info.pxPerMv / mm),
      })
    : t("waveform.shown", { seconds: round1((info.window[1] - info.window[0]) / 1000) });
  const group = said(info.groupsSaid?.[info.group], info.groups[info.group]);
  const text = info.annotations.filter((a) => !a.times.length).map((a) => a.text);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, scene.headerWidth, rows[0].top);
  ctx.clip();
  ctx.fillText([group, scale, ...text].join("  ·  "), 4, 5);
  ctx.restore();
}

/** @param {CanvasRenderingContext2D} ctx @param {Area} area */
function paintGrid(ctx, area) {
  const { vertical, horizontal } = gridLines(area);
  for (const major of [false, true]) {
    ctx.strokeStyle = major ? MAJOR : MINOR;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const line of vertical.filter((l) => l.major === major)) {
      const x = Math.round(line.x) + 0.5;
      ctx.moveTo(x, area.top);
      ctx.lineTo(x, area.bottom);
    }
    for (const line of horizontal.filter((l) => l.major === major)) {
      const y = Math.round(line.y) + 0.5;
      ctx.moveTo(area.left, y);
      ctx.lineTo(area.right, y);
    }
    ctx.stroke();
  }
}

/**
 * Annotations at points in time: a dashed line over the rows of the channels each names
 * (every row when it names none), and its text where there is room (three lanes under the
 * line's top; a text that fits in none is left out).
 * @param {CanvasRenderingContext2D} ctx @param {WaveformPlot} info @param {Area} area
 */
function paintNotes(ctx, info, area) {
  ctx.save();
  ctx.strokeStyle = NOTE;
  ctx.fillStyle = NOTE;
  ctx.globalAlpha = 0.6;
  ctx.setLineDash([3, 3]);
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "top";
  const marks = info.annotations
    .flatMap((note) => {
      const rows = info.plot.filter((r) => note.channels.includes(r.label));
      const top = rows.length ? Math.min(...rows.map((r) => r.top)) : area.top;
      const bottom = rows.length ? Math.max(...rows.map((r) => r.bottom)) : area.bottom;
      return note.x.map((x) => ({ x, text: note.text, top, bottom }));
    })
    .sort((a, b) => a.x - b.x);
  const lanes = [-Infinity, -Infinity, -Infinity];
  for (const { x, text, top, bottom } of marks) {
    ctx.beginPath();
    ctx.moveTo(Math.round(x) + 0.5, top);
    ctx.lineTo(Math.round(x) + 0.5, bottom);
    ctx.stroke();
    const lane = lanes.findIndex((end) => end < x);
    if (lane < 0) continue;
    ctx.fillText(text, x + 2, top + 2 + lane * 12);
    lanes[lane] = x + 6 + ctx.measureText(text).width;
  }
  ctx.restore();
}

/** The caliper: its two ends, the path between them, what it measures.
 * @param {CanvasRenderingContext2D} ctx @param {Scene} scene */
function paintCaliper(ctx, { caliper, measured }) {
  if (!caliper || !measured) return;
  const { from, to } = caliper;
  ctx.save();
  ctx.strokeStyle = CALIPER;
  ctx.fillStyle = CALIPER;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (const x of [from.x, to.x]) {
    ctx.moveTo(x, from.y - 30);
    ctx.lineTo(x, from.y + 30);
  }
  ctx.moveTo(from.x, from.y);
  ctx.lineTo(to.x, from.y);
  ctx.lineTo(to.x, to.y);
  ctx.stroke();
  ctx.font = "bold 13px system-ui, sans-serif";
  ctx.textBaseline = "bottom";
  const label = t("waveform.caliper", {
    ms: { number: Math.abs(measured.ms), digits: 0 },
    mv: { number: measured.mv, digits: 2 },
  });
  ctx.fillText(label, Math.min(from.x, to.x) + 4, Math.min(from.y, to.y) - 4);
  ctx.restore();
}

/** Where the sound being played is: a line at its time.
 * @param {CanvasRenderingContext2D} ctx @param {Area} area @param {number | null} position */
function paintPlayhead(ctx, area, position) {
  if (position === null) return;
  const x = area.left + (position * 1000 - area.start) * area.pxPerMs;
  ctx.save();
  ctx.strokeStyle = PLAYHEAD;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x, area.top);
  ctx.lineTo(x, area.bottom);
  ctx.stroke();
  ctx.restore();
}
