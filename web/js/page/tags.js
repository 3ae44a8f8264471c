// The tag browser: a readable summary, then every element, sequences expandable,
// searchable; the panel shows the active pane's frame.
import { $, app, pane, press } from "./app.js";
import { client } from "./engine.js";

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
        label.textContent = `item ${i + 1}`;
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
      "Patient",
      [
        ["Name", "PatientName"],
        ["ID", "PatientID"],
        ["Birth date", "PatientBirthDate"],
        ["Sex", "PatientSex"],
        ["Age", "PatientAge"],
      ].map(([l, k]) => [l, find(ds, k)]),
    ],
    [
      "Study",
      [
        ["Date", "StudyDate"],
        ["Description", "StudyDescription"],
        ["Accession", "AccessionNumber"],
      ].map(([l, k]) => [l, find(ds, k)]),
    ],
    [
      "Equipment",
      [
        ["Modality", "Modality"],
        ["Manufacturer", "Manufacturer"],
        ["Model", "ManufacturerModelName"],
        ["kVp", "KVP"],
        ["Exposure (mAs)", "Exposure"],
        ["Slice thickness", "SliceThickness"],
      ].map(([l, k]) => [l, find(ds, k)]),
    ],
    [
      "Geometry",
      [
        ["Rows × columns", `${find(ds, "Rows")} × ${find(ds, "Columns")}`],
        ["Pixel spacing", find(ds, "PixelSpacing")],
        ["Orientation", find(ds, "ImageOrientationPatient")],
        ["Position", find(ds, "ImagePositionPatient")],
        ["Calibration", view?.calibration?.kind ?? ""],
      ],
    ],
  ];
  summaryBox.replaceChildren();
  for (const [title, rows] of groups) {
    const h = document.createElement("h3");
    h.textContent = title;
    const dl = document.createElement("dl");
    for (const [label, value] of rows) {
      if (!value || value === " × ") continue;
      const dt = document.createElement("dt");
      dt.textContent = label;
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
