// Print and copy an image (issue 18 item 7). "Print" lays out the visible viewports as
// drawn (with their on-image text when it is shown) under the study's information on a
// page (print.css); with patient information hidden, the sheet leaves out every value the
// worker leaves out of the tag browser (the de-identification profile's decision) and says
// so. "Copy image" puts the active viewport's snapshot (PNG) on the clipboard.
import { $, app, pane, reportFailure, setStatus } from "./app.js";
import { client } from "./engine.js";
import { isoDate } from "../viewer/overlay.js";
import { formatDate, language } from "../i18n/i18n.js";
import { setRaw } from "./language.js";

/** A value as preparePrint returns it: names with spaces for ^, dates as YYYY-MM-DD. */
const SHOWN = /** @type {Record<string, (value: string) => string>} */ ({
  PatientName: (value) => value.replaceAll("^", " ").trim(),
  PatientBirthDate: isoDate,
  StudyDate: isoDate,
});
/** The fields the sheet shows as the language writes a date (Intl). */
const DATES = new Set(["PatientBirthDate", "StudyDate"]);

/** Blob URLs of the sheet's images, freed when the next sheet is laid out. @type {string[]} */
let urls = [];

/**
 * Lay out the print sheet for what is shown now (without opening the print dialog).
 * @returns {Promise<{images: number, fields: Record<string, string>}>} what it holds
 */
export async function preparePrint() {
  const p = pane();
  if (!p || p.series < 0) throw new Error($("print-nothing").textContent ?? "");
  await p.drawn().catch(() => {});
  const hide = app.hidePatient;
  await client.ready;
  const header = await client.call("header", { series: p.series, frame: p.frame, hide });
  /** @type {Record<string, string>} */
  const fields = {};
  for (const row of $("print-info").querySelectorAll("[data-field]")) {
    const field = /** @type {HTMLElement} */ (row).dataset.field ?? "";
    const node = header.dataset.find((n) => n.keyword === field);
    const raw = node && !node.hidden ? String(node.value ?? "").trim() : "";
    const value = raw && SHOWN[field] ? SHOWN[field](raw) : raw;
    /** @type {HTMLElement} */ (row).hidden = !value;
    const dd = row.querySelector("dd");
    if (dd) setRaw(dd, DATES.has(field) ? formatDate(value) : value);
    if (value) fields[field] = value;
  }
  $("print-hidden").hidden = !hide;
  for (const url of urls) URL.revokeObjectURL(url);
  urls = [];
  const panes = app.panes.filter((other) => !other.root.hidden && other.series >= 0);
  const images = await Promise.all(
    panes.map(async (other) => {
      const url = URL.createObjectURL(await other.snapshot(app.showInfo));
      urls.push(url);
      const img = new Image();
      img.alt = "";
      img.src = url;
      await img.decode();
      return img;
    }),
  );
  const box = $("print-images");
  box.dataset.count = String(images.length);
  box.replaceChildren(...images);
  $("print-date").textContent = new Intl.DateTimeFormat(language(), {
    dateStyle: "long",
    timeStyle: "short",
  }).format(new Date());
  return { images: images.length, fields };
}

/** Lay out the sheet and open the browser's print dialog. */
export async function printImages() {
  await preparePrint();
  window.print();
}

/**
 * Put the active viewport's snapshot (with its on-image text when shown) on the clipboard.
 * @returns {Promise<{width: number, height: number}>} the image's size
 */
export async function copyImage() {
  const p = pane();
  if (!p || p.series < 0) throw new Error($("print-nothing").textContent ?? "");
  if (typeof ClipboardItem === "undefined" || !navigator.clipboard?.write) {
    throw new Error($("copy-unsupported").textContent ?? "");
  }
  await p.drawn().catch(() => {});
  const blob = await p.snapshot(app.showInfo);
  await navigator.clipboard.write([new ClipboardItem({ "image/png": blob })]);
  setStatus({ key: "image_copied_to_the_clipboard" });
  return { width: p.canvas.width, height: p.canvas.height };
}

export function attachPrint() {
  $("print-button").addEventListener("click", () => reportFailure(printImages()));
  $("copy-button").addEventListener("click", () => reportFailure(copyImage()));
}
