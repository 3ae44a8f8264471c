// A finished measurement: its value and label. Lengths and angles are computed here
// (interaction.js); region statistics and the probe's values come from the worker.
import { angleAt, lengthBetween } from "./interaction.js";

/** @typedef {import("./interaction.js").Point} Point */
/** @typedef {import("./interaction.js").Calibration} Calibration */
/**
 * @typedef {{id: number, kind: string, points: Point[], label: string, detail?: string,
 *            series: string, frame: number, view?: string|null, where?: string,
 *            result?: any}} Measurement
 *   where: what it was drawn on, as the list says it ("image 13", "Coronal  -20.0 mm")
 * @typedef {{client: import("../rpc/client.js").Client, id: number, uid: string,
 *            series: number, frame: number, view?: string|null, where?: string,
 *            calibration: Calibration,
 *            volumeView?: import("../rpc/protocol.js").VolumeView|null}} MeasureContext
 *   uid: the series' UID (what the measurement list is kept by); series: its index;
 *   view: the reformatted view it was drawn on (Pane.viewKey), null on the acquired images;
 *   volumeView: that view as the worker drew it (its pixels are what regions and the
 *   probe read)
 */

/**
 * The calibration of a measurement through `points`: an image with several calibrated
 * ultrasound regions (PS3.3 C.8.5.5.1) is calibrated by the region every point is in;
 * points in no one region are measured in pixels, and say so.
 * @param {Point[]} points @param {Calibration} cal
 * @returns {Calibration}
 */
export function regionCalibration(points, cal) {
  const regions = cal.regions ?? [];
  if (regions.length < 2) return cal;
  const inside = (/** @type {{box: number[]}} */ r) =>
    points.every(
      (p) => p.x >= r.box[0] && p.x <= r.box[2] + 1 && p.y >= r.box[1] && p.y <= r.box[3] + 1,
    );
  const region = regions.find(inside);
  if (!region) {
    return {
      ...UNCALIBRATED,
      note: "uncalibrated (pixels): the points are not in one ultrasound region",
    };
  }
  return { kind: cal.kind, row_mm: region.row_mm, column_mm: region.column_mm, note: region.note };
}

/** The measurement tools, in the order of the toolbar. */
export const MEASURE_KINDS = /** @type {const} */ (["length", "angle", "rect", "ellipse", "probe"]);

/** @type {Calibration} */
export const UNCALIBRATED = { row_mm: null, column_mm: null, kind: "uncalibrated", note: "" };

/**
 * The measurement of `kind` through `points` (image pixels), or null when the worker has
 * no value for it (a region or probe outside the image).
 * @param {string} kind one of MEASURE_KINDS
 * @param {Point[]} points
 * @param {MeasureContext} context
 * @returns {Promise<Measurement | null>}
 */
export async function measure(kind, points, context) {
  const { client, series, frame } = context;
  const cal = regionCalibration(points, context.calibration);
  const view = context.view ?? null;
  // On a reformatted view the worker reads the view's own pixels, as drawn.
  const drawn = view ? (context.volumeView ?? null) : null;
  const where = context.where ?? `image ${frame + 1}`;
  /** @type {Measurement} */
  const item = { id: context.id, kind, points, label: "", series: context.uid, frame, view, where };
  if (kind === "length") {
    const { value, unit } = lengthBetween(points[0], points[1], cal);
    item.label = `${value.toFixed(1)} ${unit}`;
    item.result = { value, unit, calibration: cal.kind, note: cal.note };
  } else if (kind === "angle") {
    const degrees = angleAt(points[0], points[1], points[2], cal);
    item.label = `${degrees.toFixed(1)}°`;
    item.result = { value: degrees, unit: "deg", calibration: cal.kind, note: cal.note };
  } else if (kind === "rect" || kind === "ellipse") {
    const box = [points[0].x, points[0].y, points[1].x, points[1].y];
    const stats = await client.call("region", { series, frame, kind, box, view: drawn });
    if (!stats) return null;
    item.result = stats;
    const unit = stats.unit ? ` ${stats.unit}` : "";
    item.label = `${stats.area.toFixed(1)} ${stats.areaUnit}, mean ${stats.mean.toFixed(1)}${unit}`;
    item.detail = `SD ${stats.std.toFixed(1)}, min ${stats.min.toFixed(1)}, max ${stats.max.toFixed(1)}${unit}`;
    if (stats.suvMax !== undefined) {
      const peak = stats.suvPeak === null ? "–" : stats.suvPeak.toFixed(2);
      item.detail += `; SUVmax ${stats.suvMax.toFixed(2)}, SUVmean ${stats.suvMean.toFixed(2)}, SUVpeak ${peak}`;
    } else if (stats.suvUnavailable) item.detail += `; SUV not available: ${stats.suvUnavailable}`;
  } else if (kind === "probe") {
    const probe = await client.call("probe", {
      series,
      frame,
      x: points[0].x,
      y: points[0].y,
      view: drawn,
    });
    if (!probe) return null;
    item.result = probe;
    const unit = probe.unit ? ` ${probe.unit}` : "";
    const patient = probe.patient
      ? `, patient (${probe.patient.map((/** @type {number} */ v) => v.toFixed(1)).join(", ")}) mm`
      : "";
    item.label = `${probe.value.toFixed(1)}${unit}`;
    const stored = probe.stored === null ? "" : `stored ${JSON.stringify(probe.stored)} `;
    item.detail = `${stored}at (${probe.column}, ${probe.row})${patient}`;
    if (probe.suv) {
      const { bw, lbm, bsa } = probe.suv;
      item.label += `, SUVbw ${bw.toFixed(2)}`;
      if (lbm !== undefined) item.detail += `; SUVlbm ${lbm.toFixed(2)}`;
      if (bsa !== undefined) item.detail += `; SUVbsa ${bsa.toFixed(1)} cm²/ml`;
    } else if (probe.suvUnavailable) item.detail += `; SUV not available: ${probe.suvUnavailable}`;
    if (probe.dose !== undefined) item.detail += `; dose ${probe.dose.toFixed(3)} Gy`;
    for (const fused of probe.fused ?? []) {
      item.detail += `; ${fused.modality} (fused) ${fused.value.toFixed(1)}`;
    }
  }
  return item;
}
