// The series browser: series grouped by patient and study, each with a thumbnail,
// modality, date and image count, then the documents; a warning when the files belong to
// more than one patient.
import { dicomDate } from "../viewer/overlay.js";
import { videoStream } from "../viewer/video.js";
import { $, app, pane, reportFailure } from "./app.js";
import { client } from "./engine.js";
import { setKeyImagesOnly } from "./keyimages.js";
import { select } from "./report.js";
import { t, tn } from "../i18n/i18n.js";
import { onLanguage } from "./language.js";

/** @typedef {import("../rpc/protocol.js").SeriesInfo} SeriesInfo */
/** @typedef {import("../rpc/protocol.js").DocumentInfo} DocumentInfo */

/** @type {Map<string, string>} thumbnail object URLs by series uid ("": none can be made) */
const thumbnails = new Map();

/** Ask the worker for the thumbnails not made yet, one by one, redrawing the list. */
export async function loadThumbnails() {
  for (let index = 0; index < app.catalog.series.length; index += 1) {
    const series = app.catalog.series[index];
    if (thumbnails.has(series.uid)) continue;
    if (series.kind === "waveform") {
      thumbnails.set(series.uid, await waveformPoster(series.waveform?.audio ?? false));
      renderSeriesList();
      continue;
    }
    try {
      const canvas =
        series.kind === "video" ? await posterFrame(index, series.uid) : await thumbnail(index);
      thumbnails.set(series.uid, URL.createObjectURL(await canvas.convertToBlob()));
      renderSeriesList();
    } catch {
      thumbnails.set(series.uid, ""); // the pane says why when the series is shown
    }
  }
}

/** A stack's thumbnail, drawn by the worker. @param {number} index */
async function thumbnail(index) {
  const { info, pixels } = await client.call("thumbnail", { series: index, size: 64 });
  const canvas = new OffscreenCanvas(info.width, info.height);
  const image = new ImageData(new Uint8ClampedArray(pixels), info.width, info.height);
  canvas.getContext("2d")?.putImageData(image, 0, 0);
  return canvas;
}

/**
 * A video's poster frame: its first picture, decoded in the page and shrunk to 64 pixels.
 * A video the browser cannot play has none (its pane says why).
 * @param {number} index @param {string} uid
 */
async function posterFrame(index, uid) {
  const stream = await videoStream(client, index, uid);
  const why = await stream.unplayable();
  if (why) throw new Error(why.reason);
  const first = await stream.frame(0);
  const scale = 64 / Math.max(first.width, first.height);
  const width = Math.max(1, Math.round(first.width * scale));
  const height = Math.max(1, Math.round(first.height * scale));
  const full = new OffscreenCanvas(first.width, first.height);
  full.getContext("2d")?.putImageData(first, 0, 0);
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext("2d")?.drawImage(full, 0, 0, width, height);
  return canvas;
}

/**
 * A waveform's picture in the list: a trace on ECG paper (a beat), or a sound's wave.
 * @param {boolean} audio
 */
async function waveformPoster(audio) {
  const canvas = new OffscreenCanvas(64, 48);
  const ctx = canvas.getContext("2d");
  if (!ctx) return "";
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, 64, 48);
  ctx.strokeStyle = "#e58c8c";
  for (let k = 0; k <= 64; k += 8) ctx.strokeRect(k + 0.5, -1, 0, 50);
  for (let k = 0; k <= 48; k += 8) ctx.strokeRect(-1, k + 0.5, 66, 0);
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let x = 0; x <= 64; x += 1) {
    const t = (x % 32) / 32;
    const beat = t > 0.45 && t < 0.5 ? -18 : t >= 0.5 && t < 0.55 ? 8 : 0;
    const y = audio ? 24 - 14 * Math.sin(x / 2.5) * Math.sin(x / 20) : 28 + beat;
    if (x === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
  return URL.createObjectURL(await canvas.convertToBlob());
}

/** Forget every thumbnail (everything was closed): a series opened again is asked anew, so
 * one that could not be made is tried again (and its failure reaches the new report). */
export function forgetThumbnails() {
  for (const url of thumbnails.values()) if (url) URL.revokeObjectURL(url);
  thumbnails.clear();
}

/** @param {string} tag @param {string} className @param {string} [text] */
function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

onLanguage(() => renderSeriesList());

export function renderSeriesList() {
  const list = $("series-list");
  list.replaceChildren();
  const catalog = app.catalog;
  const docs = catalog.documents ?? [];
  if (!catalog.series.length && !docs.length) {
    const hint = element("p", "empty-hint");
    hint.append(element("span", "", t("drop_dicom_files_anywhere_or")), " ");
    hint.append(element("b", "", t("open_files")), ".");
    list.append(hint);
    return;
  }
  const patients = [...new Set(catalog.series.map((s) => s.patientKey))];
  if (patients.length > 1) {
    const text = t("series.patients", { count: patients.length });
    list.append(element("p", "warning", text));
  }
  if (catalog.series.some((s) => s.keyImages?.length)) list.append(keyToggle());
  const current = pane()?.series ?? -1;
  let group = "";
  catalog.series.forEach((series, index) => {
    const key = `${series.patientKey}|${series.studyUid}`;
    if (key !== group) {
      group = key;
      const n = patients.indexOf(series.patientKey) + 1;
      const patient = patients.length > 1 ? `${t("series.patient", { n })} · ` : "";
      const date = app.hidePatient ? "" : dicomDate(series.date);
      list.append(element("div", "group-title", `${patient}${t("series.study", { date })}`.trim()));
    }
    list.append(seriesButton(series, index, index === current));
  });
  if (docs.length) list.append(element("div", "group-title", t("series.documents")));
  for (const doc of docs) list.append(documentButton(doc, catalog.series.length + doc.index));
}

/** The filter of key images (issue 16 item 2), shown while a series has some. */
function keyToggle() {
  const button = element("button", "button key-toggle", `★ ${t("series.key_only")}`);
  button.id = "key-button";
  button.setAttribute("type", "button");
  button.setAttribute("aria-pressed", String(app.keyImagesOnly));
  button.title = t("series.key_only_title");
  button.addEventListener("click", () => reportFailure(setKeyImagesOnly()));
  return button;
}

/** @param {SeriesInfo} series @param {number} index @param {boolean} current */
function seriesButton(series, index, current) {
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.series = String(index);
  button.setAttribute("aria-current", String(current));
  const thumb = thumbnails.get(series.uid);
  if (thumb) {
    const img = document.createElement("img");
    img.className = "thumb";
    img.alt = "";
    img.src = thumb;
    button.append(img);
  }
  const name = t("series.name", { n: series.number ?? index + 1 });
  const title = app.hidePatient ? name : series.description || name;
  const groups = series.waveform?.groups ?? [];
  const images =
    series.kind === "video"
      ? tn(series.playable ? "series.video" : "series.video_unplayable", series.frames)
      : series.kind === "waveform"
        ? `${tn("series.channels", groups[0]?.channels ?? 0)} · ${t("series.seconds", {
            s: { number: (groups[0]?.duration ?? 0) / 1000, digits: 1 },
          })}`
        : series.kind === "slide"
          ? tn("series.slide", series.slide?.levels ?? 0, {
              width: series.slide?.width ?? 0,
              height: series.slide?.height ?? 0,
            })
          : tn("series.images", series.frames);
  const date = app.hidePatient ? "" : dicomDate(series.date);
  const segs = (series.segmentations ?? []).length;
  const drawn = segs ? tn("series.segmentations", segs) : "";
  const keys = series.keyImages?.length ?? 0;
  const starred = keys ? `★ ${tn("series.key_images", keys)}` : "";
  const meta = [series.modality || "?", images, date, drawn, starred].filter(Boolean).join(" · ");
  button.append(element("div", "series-title", title), element("div", "meta", meta));
  button.addEventListener("click", () => reportFailure(select(index, 0)));
  return button;
}

/** @param {DocumentInfo} doc @param {number} entry its index in `catalog().series` */
function documentButton(doc, entry) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "document";
  button.dataset.document = String(doc.index);
  button.dataset.series = String(entry);
  const kind = t(
    doc.kind === "pdf" ? "series.pdf" : doc.kind === "sr" ? "report" : "series.object",
  );
  button.textContent = `${kind}: ${app.hidePatient ? doc.type : doc.title}`;
  const date = doc.date && !app.hidePatient ? " · " + dicomDate(doc.date) : "";
  button.append(element("div", "meta", `${doc.type}${date}`));
  button.addEventListener("click", () => reportFailure(select(entry)));
  return button;
}
