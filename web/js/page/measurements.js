// The measurement list of the active pane's series: each with its calibration and a
// Delete button; all of them as CSV; the Rect tool's rectangles for de-identification.
import { csvField } from "../viewer/interaction.js";
import { $, app, pane } from "./app.js";
import { language, said, t } from "../i18n/i18n.js";
import { describe } from "../viewer/measure.js";
import { onLanguage } from "./language.js";

/**
 * A measurement as the list names it: its kind and where it was drawn.
 * @param {import("../viewer/measure.js").Measurement} item
 */
function named(item) {
  const kind = t(`kind.${item.kind}`);
  // On a reformatted view `where` is the plane's own text (overlay.js planeText).
  const where = item.view ? item.where : t("measure.on_image", { n: item.frame + 1 });
  return { kind, where: where ?? "", label: item.label };
}

// Another language: every measurement's label again, the list and the panes' labels.
onLanguage(() => {
  for (const item of app.measurements) describe(item);
  renderMeasureList();
  for (const p of app.panes) {
    p.draw();
    p.drawText();
  }
});

export function renderMeasureList() {
  const list = $("measure-list");
  const uid = pane()?.seriesInfo?.uid;
  const items = app.measurements.filter((m) => m.series === uid);
  // Called on every frame drawn: the list is rebuilt only when what it lists changed.
  const key = JSON.stringify([
    language(),
    items.map((m) => [m.id, m.kind, m.frame, m.label, m.detail, m.result]),
  ]);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.append(t("measure.item", named(item)));
    if (item.detail) {
      const detail = document.createElement("div");
      detail.className = "detail";
      detail.textContent = item.detail;
      li.append(detail);
    }
    // A probe reads one pixel: no distance, so no calibration to state.
    if (item.kind !== "probe") {
      const calibration = document.createElement("div");
      calibration.className = "detail";
      // The kind is a DICOM attribute's name ("Pixel Spacing"), said as the standard does.
      const kind = item.result?.calibration ?? "uncalibrated";
      const how = kind === "uncalibrated" ? t("calibration.uncalibrated") : kind;
      calibration.textContent = t("measure.calibration", { how });
      if (item.result?.note)
        calibration.textContent += ` — ${said(item.result.noteSaid, item.result.note)}`;
      if (item.result?.calibrationNote)
        calibration.textContent += ` — ${item.result.calibrationNote}`;
      li.append(calibration);
    }
    if (item.result?.suvFormula) li.append(suvDetails(item.result));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = t("delete");
    remove.setAttribute("aria-label", t("measure.delete", named(item)));
    remove.addEventListener("click", () => deleteMeasurement(item.id));
    li.append(" ", remove);
    list.append(li);
  }
}

/**
 * The SUV's formula and inputs, shown on request (a closed disclosure).
 * @param {{suvFormula: string, suvInputs: Record<string, unknown>}} result
 */
function suvDetails(result) {
  const details = document.createElement("details");
  details.className = "suv-formula";
  const summary = document.createElement("summary");
  summary.textContent = t("measure.suv_formula");
  const body = document.createElement("div");
  body.className = "detail";
  // weight, height and sex are the patient's: withheld while patient information is hidden
  const personal = app.hidePatient ? ["weightKg", "heightM", "sex"] : [];
  const inputs = Object.entries(result.suvInputs ?? {})
    .filter(([k]) => !personal.includes(k))
    .map(([k, v]) => `${k}: ${v}`);
  body.textContent = [result.suvFormula, ...inputs].join("\n");
  body.style.whiteSpace = "pre-line";
  details.append(summary, body);
  return details;
}

/** @param {number} id */
export function deleteMeasurement(id) {
  const index = app.measurements.findIndex((m) => m.id === id);
  if (index >= 0) app.measurements.splice(index, 1);
  app.panes.forEach((p) => p.draw());
  renderMeasureList();
}

/** Delete the latest measurement of the active pane's series. */
export function deleteLast() {
  const uid = pane().seriesInfo?.uid;
  const mine = app.measurements.filter((m) => m.series === uid);
  if (mine.length) deleteMeasurement(mine[mine.length - 1].id);
}

const CSV_HEADER = [
  ...["id", "series", "image", "kind", "value", "unit", "mean", "std", "min", "max"],
  ...["area", "area unit", "calibration", "note", "points"],
];

/** Every measurement, one CSV line each. */
export function measurementsCsv() {
  const lines = [CSV_HEADER.join(",")];
  for (const m of app.measurements) {
    const r = m.result ?? {};
    const series = app.catalog.series.find((s) => s.uid === m.series);
    const fields = [
      m.id,
      series?.description || series?.uid || "",
      m.view ? (m.where ?? "") : m.frame + 1,
      m.kind,
      r.value ?? "",
      r.unit ?? "",
      r.mean ?? "",
      r.std ?? "",
      r.min ?? "",
      r.max ?? "",
      r.area ?? "",
      r.areaUnit ?? "",
      r.calibration ?? "",
      r.note ?? r.calibrationNote ?? "",
      m.points.map((p) => `${p.x.toFixed(2)} ${p.y.toFixed(2)}`).join(" | "),
    ];
    lines.push(fields.map(csvField).join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * The rectangles drawn with the Rect tool, by Series Instance UID, as whole pixels
 * (x, y, width, height): what de-identification blanks.
 * @returns {Map<string, number[][]>}
 */
export function rectangles() {
  /** @type {Map<string, number[][]>} */
  const rects = new Map();
  for (const m of app.measurements.filter((x) => x.kind === "rect")) {
    const uid = m.series.split("#")[0];
    const [a, b] = m.points;
    const box = [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y)];
    rects.set(uid, [...(rects.get(uid) ?? []), box.map(Math.round)]);
  }
  return rects;
}
