// A finished measurement: its value and label. Lengths and angles are computed here
// (interaction.js); region statistics and the probe's values come from the worker.
import { angleAt, lengthBetween } from "./interaction.js";
import { t } from "../i18n/i18n.js";
import en from "../i18n/en.js";

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
    const key = "calibration.not_one_region";
    const note = en[key];
    return { ...UNCALIBRATED, note, said: { text: note, key } };
  }
  const { row_mm, column_mm, note, said } = region;
  return { kind: cal.kind, row_mm, column_mm, note, ...(said ? { said } : {}) };
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
    item.result = { value, unit, calibration: cal.kind, note: cal.note, noteSaid: cal.said };
  } else if (kind === "angle") {
    const degrees = angleAt(points[0], points[1], points[2], cal);
    item.result = {
      value: degrees,
      unit: "deg",
      calibration: cal.kind,
      note: cal.note,
      noteSaid: cal.said,
    };
  } else if (kind === "rect" || kind === "ellipse") {
    const box = [points[0].x, points[0].y, points[1].x, points[1].y];
    const stats = await client.call("region", { series, frame, kind, box, view: drawn });
    if (!stats) return null;
    item.result = stats;
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
  }
  describe(item);
  return item;
}

/** @param {number} number @param {number} digits */
const fixed = (number, digits) => ({ number, digits });

/**
 * Write a measurement's label and detail from its result, in the language shown (numbers
 * by Intl: "12.3 mm", "12,3 mm"); the page calls it again when the language changes.
 * @param {Measurement} item
 */
export function describe(item) {
  const r = /** @type {any} */ (item.result);
  if (!r) return;
  if (item.kind === "length")
    item.label = t("measure.length", { value: fixed(r.value, 1), unit: r.unit });
  else if (item.kind === "angle") item.label = t("measure.angle", { value: fixed(r.value, 1) });
  else if (item.kind === "rect" || item.kind === "ellipse") {
    const unit = r.unit ? ` ${r.unit}` : "";
    item.label = t("measure.region", {
      area: fixed(r.area, 1),
      areaUnit: r.areaUnit,
      mean: fixed(r.mean, 1),
      unit,
    });
    const spread = { sd: fixed(r.std, 1), min: fixed(r.min, 1), max: fixed(r.max, 1), unit };
    const parts = [t("measure.spread", spread)];
    if (r.suvMax !== undefined) {
      const peak = r.suvPeak === null ? "–" : fixed(r.suvPeak, 2);
      parts.push(
        t("measure.suv_region", { max: fixed(r.suvMax, 2), mean: fixed(r.suvMean, 2), peak }),
      );
    } else if (r.suvUnavailable) parts.push(t("measure.suv_unavailable", { reason: suvReason(r) }));
    item.detail = parts.join("; ");
  } else if (item.kind === "probe") {
    const unit = r.unit ? ` ${r.unit}` : "";
    item.label = t("measure.probe", { value: fixed(r.value, 1), unit });
    const at = { column: r.column, row: r.row };
    const stored =
      r.stored === null ? "" : `${t("measure.stored", { stored: JSON.stringify(r.stored) })} `;
    let detail = stored + t("measure.at", at);
    if (r.patient) {
      const [x, y, z] = r.patient.map((/** @type {number} */ v) => fixed(v, 1));
      detail += t("measure.patient", { x, y, z });
    }
    const parts = [detail];
    if (r.suv) {
      const { bw, lbm, bsa } = r.suv;
      item.label += t("measure.suv_bw", { bw: fixed(bw, 2) });
      if (lbm !== undefined) parts.push(t("measure.suv_lbm", { lbm: fixed(lbm, 2) }));
      if (bsa !== undefined) parts.push(t("measure.suv_bsa", { bsa: fixed(bsa, 1) }));
    } else if (r.suvUnavailable) parts.push(t("measure.suv_unavailable", { reason: suvReason(r) }));
    if (r.dose !== undefined) parts.push(t("measure.dose", { dose: fixed(r.dose, 3) }));
    for (const fused of r.fused ?? []) {
      parts.push(t("measure.fused", { modality: fused.modality, value: fixed(fused.value, 1) }));
    }
    item.detail = parts.join("; ");
  }
}

/**
 * Why there is no SUV, in the language shown (the engine's reason with its catalog id).
 * @param {any} r a probe's or region's result
 * @returns {import("../i18n/i18n.js").Param}
 */
function suvReason(r) {
  return { said: r.suvUnavailableSaid ?? { text: r.suvUnavailable } };
}
