// What was found in the files opened: the Report dialog, the documents (a PDF opens in
// the browser's own viewer, a structured report shows as text in the dialog) and the
// notice listing the files that were not opened.
import { $, app, pane } from "./app.js";
import { client, deviceMemory } from "./engine.js";
import { t } from "../i18n/i18n.js";
import { setRaw, setText } from "./language.js";

/** @typedef {import("../rpc/protocol.js").DocumentInfo} DocumentInfo */
/** @typedef {import("../rpc/protocol.js").Skipped} Skipped */

/** the latest document's blob URL (scripts and tests can read it) */
let lastDocumentUrl = "";
/** counts what the dialog was asked to show: a report that arrives late shows only if last */
let shown = 0;
/** the document last selected (issue 15 item 5) while it is on show, and the dialog's count */
let current = /** @type {{doc: DocumentInfo, shown: number} | null} */ (null);

/**
 * A document as an entry of `catalog().series` (issue 15 item 5): after the series, in the
 * series list's order, `kind: "document"` and its `subtype` (pdf, cda, stl, obj, mtl, sr,
 * kos, rtplan, other).
 * @param {DocumentInfo} doc
 */
export function documentEntry(doc) {
  return {
    kind: "document",
    subtype: doc.subtype,
    uid: doc.uid,
    modality: doc.modality,
    document: doc.index,
    description: doc.title,
    type: doc.type,
    date: doc.date,
    files: [doc.name],
    frames: 0,
    pages: doc.pages ?? null,
    warnings: doc.warnings ?? [],
  };
}

/** What `state().document` says of the document on show, or null. */
export function documentState() {
  if (!current) return null;
  const { doc } = current;
  return { index: doc.index, subtype: doc.subtype, title: doc.title, pages: doc.pages ?? null };
}

/**
 * Show entry `series` of `catalog().series` at `frame`; for a video, seek there and pause
 * (issue 15 item 5). The entries after the series are the documents: the dialog showing
 * one closes when a series is shown.
 * @param {number} series @param {number} [frame]
 */
export async function select(series, frame = 0) {
  const count = app.catalog.series.length;
  if (series >= count) {
    const doc = (app.catalog.documents ?? [])[series - count];
    if (!doc) throw new Error(`no entry ${series} in the catalog`);
    await openDocument(doc);
    return;
  }
  if (current && current.shown === shown) $("report").hidden = true;
  current = null;
  const p = pane();
  p.videoBar.pause();
  await p.select(series, frame);
}

/**
 * A PDF opens in the browser's own viewer from a blob URL; a structured report as text.
 * @param {DocumentInfo} doc
 * @returns {Promise<string>} the PDF's blob URL (the latest one for other documents)
 */
export async function openDocument(doc) {
  if (doc.kind === "pdf") {
    const { mime, bytes } = await client.call("document", { index: doc.index });
    const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    document.body.append(link);
    link.click();
    link.remove();
    setText($("report-text"), "report.new_tab", { title: doc.title });
    lastDocumentUrl = url;
    current = { doc, shown };
    return url;
  }
  shown += 1;
  current = { doc, shown };
  setRaw($("report-title"), doc.title);
  if (doc.kind === "sr" || doc.text) setRaw($("report-text"), doc.text ?? "");
  else setText($("report-text"), "report.no_image", { type: doc.type });
  $("report").hidden = false;
  return lastDocumentUrl;
}

/**
 * Show or hide the Report dialog (toggle without an argument). The report is the worker's
 * as it is now: frames that failed to decode after the files opened are in it. Until it
 * arrives the dialog shows the one the page has (the one it keeps if the worker cannot
 * answer).
 * @param {boolean} [on]
 */
export async function toggleReport(on) {
  const panel = $("report");
  const show = on === undefined ? panel.hidden : on;
  shown += 1;
  if (current?.doc.kind !== "pdf") current = null;
  panel.hidden = !show;
  if (!show) return;
  const asked = shown;
  setText($("report-title"), "what_was_found");
  const first = app.catalog.report?.text;
  if (first) setRaw($("report-text"), first);
  else setText($("report-text"), "report.nothing");
  let fresh, stats;
  try {
    [fresh, stats] = await Promise.all([client.call("catalog"), client.call("stats")]);
  } catch {
    return;
  }
  app.catalog = { ...app.catalog, skipped: fresh.skipped, report: fresh.report };
  if (asked !== shown) return;
  // The report's own text is the engine's (English); the memory line is the page's.
  const text = fresh.report?.text ?? t("report.nothing");
  setRaw($("report-text"), `${text}\n\n${memoryLine(stats)}`);
}

/** @param {number} bytes */
const megabytes = (bytes) => ({ number: bytes / (1024 * 1024), digits: 1 });

/**
 * What the engine holds, against its budget (issue 19 item 3).
 * @param {{fileBytes: number, cacheBytes: number, cacheBudget: number}} stats
 */
function memoryLine(stats) {
  const device = deviceMemory
    ? t("report.device", { gb: deviceMemory })
    : t("report.device_unknown");
  return t("report.memory", {
    files: megabytes(stats.fileBytes),
    cache: megabytes(stats.cacheBytes),
    budget: megabytes(stats.cacheBudget),
    device,
  });
}

/** Add files that were not opened to the notice, and show it. @param {Skipped[]} skipped */
export function showSkipped(skipped) {
  if (!skipped.length) return;
  const list = $("notice-list");
  for (const item of skipped) {
    const li = document.createElement("li");
    setText(li, "engine.file_reason", {
      file: item.name,
      reason: { said: item.said ?? { text: item.reason } },
    });
    list.append(li);
  }
  $("notices").hidden = false;
}

/** Empty and hide the notice. */
export function clearSkipped() {
  $("notice-list").replaceChildren();
  $("notices").hidden = true;
}
