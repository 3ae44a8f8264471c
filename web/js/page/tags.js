// The tag browser: a readable summary, then every element, sequences expandable,
// searchable; the panel shows the active pane's frame.
import { $, app, pane, press } from "./app.js";
import { client } from "./engine.js";

/**
 * @typedef {{tag: string, keyword: string, name: string, vr: string, value: string,
 *            creator?: string, items?: Node[][]}} Node
 */

/** Keywords whose values identify the patient (hidden when patient information is hidden). */
const IDENTIFYING =
  /^(Patient|OtherPatient|Institution|ReferringPhysician|PerformingPhysician|OperatorsName|AccessionNumber|StudyID|.*Address|.*TelephoneNumbers?)/;

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
 * @param {Node[]} nodes @param {string} query @param {boolean} hide
 * @returns {HTMLElement}
 */
function tree(nodes, query, hide) {
  const box = document.createElement("div");
  for (const node of nodes) {
    if (!matches(node, query)) continue;
    const row = document.createElement("div");
    row.className = "row";
    const left = document.createElement("span");
    left.className = "kw";
    left.textContent = node.tag;
    const right = document.createElement("span");
    const value = hide && IDENTIFYING.test(node.keyword) ? "(hidden)" : node.value;
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
        details.append(label, tree(item, query, hide));
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
  return nodes.find((n) => n.keyword === keyword)?.value ?? "";
}

/**
 * @param {HTMLElement} treeBox
 * @param {HTMLElement} summaryBox
 * @param {{meta: Node[], dataset: Node[]}} header
 * @param {any} view the frame's description
 * @param {string} search
 * @param {boolean} hide hide identifying values
 */
export function renderTags(treeBox, summaryBox, header, view, search, hide) {
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
      ].map(([l, k]) => [l, hide ? "(hidden)" : find(ds, k)]),
    ],
    [
      "Study",
      [
        ["Date", "StudyDate"],
        ["Description", "StudyDescription"],
        ["Accession", "AccessionNumber"],
      ].map(([l, k]) => [l, hide && k === "AccessionNumber" ? "(hidden)" : find(ds, k)]),
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
  treeBox.replaceChildren(tree(header.meta, query, hide), tree(ds, query, hide));
}

/** @type {any} the header shown in the tag browser */
let shownHeader = null;

/** Fetch the active frame's header and show it (when a series is shown). */
export async function showTags() {
  const p = pane();
  if (!p || p.series < 0) return;
  shownHeader = await client.call("header", { series: p.series, frame: p.frame });
  drawTags();
}

/** Draw the header fetched last, filtered by the search box. */
export function drawTags() {
  const p = pane();
  if (!shownHeader || !p) return;
  const search = /** @type {HTMLInputElement} */ ($("tag-search")).value;
  renderTags(
    $("tag-tree"),
    $("tag-summary"),
    shownHeader,
    p.info?.view ?? null,
    search,
    app.hidePatient,
  );
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
