// The tag browser: a readable summary, then every element, sequences expandable,
// searchable; the panel shows the active pane's frame.
import { $, app, pane, press } from "./app.js";
import { client } from "./engine.js";
import { t } from "../i18n/i18n.js";
import { onLanguage } from "./language.js";

/**
 * @typedef {{tag: string, keyword: string, name: string, vr: string, value: string,
 *            creator?: string, items?: Node[][], hidden?: boolean}} Node
 * @typedef {{meta: Node[], dataset: Node[], hidden: boolean}} Header
 */

/**
 * @param {Node} node @param {string} query lower case
 * @returns {boolean}
 */
function matches(node, query) {
  if (!query) return true;
  if (
    [node.tag, node.keyword, node.name, node.value].some((text) =>
      (text ?? "").toLowerCase().includes(query),
    )
  )
    return true;
  return (node.items ?? []).some((item) =>
    item.some((/** @type {Node} */ child) => matches(child, query)),
  );
}

/**
 * @param {Node[]} nodes @param {string} query
 * @returns {HTMLElement}
 */
function tree(nodes, query) {
  const box = document.createElement("div");
  for (const node of nodes) {
    if (!matches(node, query)) continue;
    const row = document.createElement("div");
    row.className = "row";
    const left = document.createElement("span");
    left.className = "kw";
    left.textContent = node.tag;
    const right = document.createElement("span");
    // The worker withholds what the de-identification profile would change (node.hidden).
    const value = node.hidden ? "(hidden)" : node.value;
    right.textContent = `${node.keyword || node.name}${node.creator ? ` [${node.creator}]` : ""} ${node.vr}: ${value}`;
    row.dataset.keyword = node.keyword;
    row.append(left, right);
    if (node.items && node.items.length) {
      const details = document.createElement("details");
      if (query) details.open = true;
      const summary = document.createElement("summary");
      summary.append(row);
      details.append(summary);
      node.items.forEach((item, i) => {
        const label = document.createElement("div");
        label.className = "kw";
        label.textContent = t("tags.item", { n: i + 1 });
        details.append(label, tree(item, query));
      });
      box.append(details);
    } else {
      box.append(row);
    }
  }
  return box;
}

/**
 * @param {Node[]} nodes @param {string} keyword
 */
function find(nodes, keyword) {
  const node = nodes.find((n) => n.keyword === keyword);
  return node?.hidden ? "(hidden)" : (node?.value ?? "");
}

/**
 * @param {HTMLElement} treeBox
 * @param {HTMLElement} summaryBox
 * @param {Header} header as the worker sent it: with patient information hidden, the
 *   identifying values are not in it at all
 * @param {any} view the frame's description
 * @param {string} search
 */
export function renderTags(treeBox, summaryBox, header, view, search) {
  const ds = header.dataset;
  /** @type {[string, [string, string][]][]} */
  const groups = [
    [
      "tags.patient",
      [
        ["tags.name", "PatientName"],
        ["tags.id", "PatientID"],
        ["tags.birth_date", "PatientBirthDate"],
        ["tags.sex", "PatientSex"],
        ["tags.age", "PatientAge"],
      ].map(([l, k]) => [l, find(ds, k)]),
    ],
    [
      "tags.study",
      [
        ["tags.date", "StudyDate"],
        ["tags.description", "StudyDescription"],
        ["tags.accession", "AccessionNumber"],
      ].map(([l, k]) => [l, find(ds, k)]),
    ],
    [
      "tags.equipment",
      [
        ["tags.modality", "Modality"],
        ["tags.manufacturer", "Manufacturer"],
        ["tags.model", "ManufacturerModelName"],
        ["tags.kvp", "KVP"],
        ["tags.exposure_mas", "Exposure"],
        ["tags.slice_thickness", "SliceThickness"],
      ].map(([l, k]) => [l, find(ds, k)]),
    ],
    [
      "tags.geometry",
      [
        ["tags.rows_columns", `${find(ds, "Rows")} × ${find(ds, "Columns")}`],
        ["tags.pixel_spacing", find(ds, "PixelSpacing")],
        ["tags.orientation", find(ds, "ImageOrientationPatient")],
        ["tags.position", find(ds, "ImagePositionPatient")],
        ["tags.calibration", view?.calibration?.kind ?? ""],
      ],
    ],
  ];
  summaryBox.replaceChildren();
  for (const [title, rows] of groups) {
    const h = document.createElement("h3");
    h.textContent = t(title);
    const dl = document.createElement("dl");
    for (const [label, value] of rows) {
      if (!value || value === " × ") continue;
      const dt = document.createElement("dt");
      dt.textContent = t(label);
      const dd = document.createElement("dd");
      dd.textContent = value;
      dl.append(dt, dd);
    }
    summaryBox.append(h, dl);
  }
  const query = search.trim().toLowerCase();
  treeBox.replaceChildren(tree(header.meta, query), tree(ds, query));
}

/** @type {Header | null} the header shown in the tag browser */
let shownHeader = null;

/**
 * Fetch the active frame's header and show it (when a series is shown). With patient
 * information hidden, the worker leaves the identifying values out.
 */
export async function showTags() {
  const p = pane();
  if (!p || p.series < 0) return;
  const hide = app.hidePatient;
  const header = await client.call("header", { series: p.series, frame: p.frame, hide });
  if (hide !== app.hidePatient) return; // toggled meanwhile: that toggle fetches again
  shownHeader = header;
  drawTags();
}

onLanguage(() => drawTags());

/** Draw the header fetched last, filtered by the search box. */
export function drawTags() {
  const p = pane();
  if (!shownHeader || !p) return;
  const search = /** @type {HTMLInputElement} */ ($("tag-search")).value;
  renderTags($("tag-tree"), $("tag-summary"), shownHeader, p.info?.view ?? null, search);
}

/** Whether the tag browser is showing. */
export function tagsShown() {
  return !$("tags-panel").hidden;
}

/** The tag browser in place of the measurement list, or back. @param {boolean} on */
export function toggleTags(on) {
  $("tags-panel").hidden = !on;
  $("measure-panel").hidden = on;
  press("tags-button", on);
  if (on) void showTags();
}
