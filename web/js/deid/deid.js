// The de-identification dialog: options in PS3.15's names, a preview, and the export.
// The work is Python's (lightbox.deid), in an engine of its own (page/deid-engine.js);
// this only gathers choices.
import { tn } from "../i18n/i18n.js";
import { setText } from "../i18n/dom.js";

/** @typedef {import("../rpc/client.js").Client} Client */
/** @typedef {import("../i18n/i18n.js").Message} Message */

/**
 * @typedef {{client: Client, catalog: () => import("../rpc/protocol.js").Catalog,
 *            activeSeries: () => number, rectangles: () => Map<string, number[][]>,
 *            findText: () => Promise<number>,
 *            download: (blob: Blob, name: string) => void,
 *            status: (text: string | Message, error?: boolean) => void}} DeidHost
 */

/** @param {string} id */
function $(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

/**
 * The series a scope covers: null for everything.
 * @param {string} scope "series" | "study" | "all"
 * @param {DeidHost} host
 * @returns {number[] | null}
 */
function seriesFor(scope, host) {
  const active = host.activeSeries();
  const series = host.catalog().series;
  if (scope === "all" || active < 0) return null;
  if (scope === "series") return [active];
  const study = series[active].studyUid;
  return series.flatMap((s, i) => (s.studyUid === study ? [i] : []));
}

/** The options chosen in the dialog, as PS3.15 camelCase names. */
function chosenOptions() {
  /** @type {Record<string, unknown>} */
  const options = {};
  for (const box of document.querySelectorAll("#deid-options input[data-option]")) {
    const input = /** @type {HTMLInputElement} */ (box);
    if (input.checked) options[input.dataset.option ?? ""] = true;
  }
  const dates = /** @type {HTMLSelectElement} */ ($("deid-dates")).value;
  if (dates === "year") options.datesToYear = true;
  else if (dates !== "off") options.retainLongitudinalTemporalInformation = dates;
  options.burnedIn = /** @type {HTMLSelectElement} */ ($("deid-burned")).value;
  return options;
}

/**
 * @param {DeidHost} host
 */
export function setupDeid(host) {
  /**
   * De-identify and build the ZIP (what the Export button calls).
   * @param {Record<string, unknown>} options PS3.15 option names in camelCase; {} is the Basic Profile
   * @param {string} [scope] "series" | "study" | "all" (default: everything)
   */
  async function deidentify(options, scope = "all") {
    const withRects = { ...options };
    if (withRects.burnedIn === "blank" && !withRects.blankRects) {
      withRects.blankRects = Object.fromEntries(host.rectangles());
    }
    const result = await host.client.call("deidExport", {
      options: withRects,
      series: seriesFor(scope, host),
    });
    return {
      zip: new Blob([result.zip], { type: "application/zip" }),
      report: result.report,
      files: result.files,
      excluded: result.excluded,
      flagged: result.flagged,
    };
  }

  const output = $("deid-result");
  $("deid-button").addEventListener("click", () => ($("deid").hidden = false));
  $("deid-close").addEventListener("click", () => ($("deid").hidden = true));
  $("deid-preview").addEventListener("click", async () => {
    try {
      setText(output, "deid.working");
      const scope = /** @type {HTMLInputElement} */ (
        document.querySelector("input[name=deid-scope]:checked")
      ).value;
      const preview = await host.client.call("deidPreview", {
        options: chosenOptions(),
        series: seriesFor(scope, host),
      });
      const table = document.createElement("table");
      const headings = document.createElement("tr");
      for (const key of ["deid.attribute", "deid.outcome", "deid.why", "deid.files"]) {
        const th = document.createElement("th");
        setText(th, key);
        headings.append(th);
      }
      table.createTHead().append(headings);
      const body = document.createElement("tbody");
      for (const change of preview.attributes) {
        const row = document.createElement("tr");
        const names = Array.isArray(change.keywords) ? change.keywords.join(", ") : change.keywords;
        for (const cell of [names || change.path, change.outcome, change.reason, change.files]) {
          const td = document.createElement("td");
          td.textContent = String(cell ?? "");
          row.append(td);
        }
        body.append(row);
      }
      table.append(body);
      // What happens and why are the engine's words (the PS3.15 profile's), in English.
      const head = document.createElement("p");
      const parts = [tn("deid.will_export", preview.files, { edition: preview.edition })];
      if (preview.flagged.length) parts.push(tn("deid.flagged", preview.flagged.length));
      if (preview.excluded.length) parts.push(tn("deid.excluded", preview.excluded.length));
      head.textContent = parts.join(" ");
      output.replaceChildren(head, table);
    } catch (error) {
      output.textContent = error instanceof Error ? error.message : String(error);
    }
  });
  $("deid-find-text").addEventListener("click", async () => {
    try {
      const count = await host.findText();
      if (count) setText(output, "deid.found", { count });
      else setText(output, "deid.none_found");
    } catch (error) {
      output.textContent = error instanceof Error ? error.message : String(error);
    }
  });
  $("deid-export").addEventListener("click", async () => {
    try {
      setText(output, "deid.exporting");
      const scope = /** @type {HTMLInputElement} */ (
        document.querySelector("input[name=deid-scope]:checked")
      ).value;
      const result = await deidentify(chosenOptions(), scope);
      host.download(result.zip, "lightbox-deidentified.zip");
      const pre = document.createElement("pre");
      pre.textContent = result.report;
      output.replaceChildren(pre);
      host.status({ key: "deid.exported", params: { count: result.files } });
    } catch (error) {
      output.textContent = error instanceof Error ? error.message : String(error);
      host.status({ key: "deid.failed" }, true);
    }
  });
  return { deidentify };
}
