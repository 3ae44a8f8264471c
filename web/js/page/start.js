// The start screen (issue 18 item 1): shown while nothing is open. One large drop area with
// "Open your scans" (files and ZIPs), a folder, "Try the demo", the "Keep on this device"
// choice, the line on privacy with how it is enforced, the studies kept on this device
// (keep.js) and what the browser must offer. It goes when something opens and comes back
// when everything is closed.
//
// The start screen is shown exactly when the viewports' placeholder is (open.js shows it
// while no series is open) and no document is listed, unless the page opens something by
// itself: a kiosk never shows it (it starts into its demo), and `?case=` hides it while
// the case loads (it comes back if the case cannot be opened).
import { dicomDate } from "../viewer/overlay.js";
import { $, app, reportFailure } from "./app.js";
import { openDemo } from "./hosted.js";
import { forget, keepChosen, keepingAllowed, keptRecords, onKeptChange, openKept } from "./keep.js";
import { openOwn } from "./keep.js";
import { language } from "../i18n/i18n.js";
import { onLanguage } from "./language.js";

/** Why the start screen stays hidden though nothing is open (a kiosk, a case loading). */
const held = { kiosk: false, loading: 0 };

/** What the browser must offer, each with the words the start screen says when it lacks it. */
const NEEDS = [
  { has: () => typeof WebAssembly === "object", lacks: "WebAssembly" },
  { has: () => typeof Worker === "function", lacks: "Web Workers" },
  { has: () => typeof OffscreenCanvas === "function", lacks: "OffscreenCanvas" },
  { has: () => typeof DecompressionStream === "function", lacks: "DecompressionStream" },
];

/**
 * Wire the start screen. @param {{kiosk: boolean, loading: Promise<unknown> | null}} how a
 *   kiosk hides it for good; `loading` (a case opened from the address) while it lasts
 */
export function setupStart(how) {
  held.kiosk = how.kiosk;
  if (how.loading) {
    held.loading += 1;
    const done = () => {
      held.loading -= 1;
      syncStart();
    };
    how.loading.then(done, done);
  }
  $("start-open").addEventListener("click", () => $("open-input").click());
  $("start-folder").addEventListener("click", () => $("open-folder-input").click());
  $("start-demo").addEventListener("click", () => reportFailure(openDemo()));
  $("privacy-link").addEventListener("click", () => togglePrivacy(true));
  $("privacy-close").addEventListener("click", () => togglePrivacy(false));
  $("kept-forget-all").addEventListener("click", () => reportFailure(forget()));
  $("keep-option").hidden = !keepingAllowed();
  // What is missing is named as the web platform names it (WebAssembly, Web Workers).
  const missing = NEEDS.filter((need) => !need.has()).map((need) => need.lacks);
  $("requirements-missing").hidden = missing.length === 0;
  $("requirements-missing-list").textContent = missing.join(", ");
  new MutationObserver(syncStart).observe($("placeholder"), { attributeFilter: ["hidden"] });
  document.body.addEventListener("lightbox-opened", syncStart);
  document.body.addEventListener("lightbox-patient-hidden", () => void renderKept());
  onKeptChange(() => void renderKept());
  onLanguage(() => void renderKept());
  syncStart();
  void renderKept();
}

/** The user's own files from any control: kept when the start screen's choice says so. */
export function openChosen(/** @type {FileList | File[]} */ files) {
  return openOwn(files, { keep: keepChosen() });
}

/** Show or hide the start screen for what is open now. */
export function syncStart() {
  const nothing = $("placeholder").hidden === false && !(app.catalog.documents ?? []).length;
  const show = nothing && !held.kiosk && held.loading === 0;
  const start = $("start");
  if (start.hidden === show) start.hidden = !show;
  document.body.classList.toggle("starting", show);
}

/** The control that opened the privacy dialog: the focus goes back to it. */
let privacyOpener = /** @type {HTMLElement | null} */ (null);

/** The dialog on how files stay on this device. @param {boolean} on */
export function togglePrivacy(on) {
  if (on && document.activeElement instanceof HTMLElement) privacyOpener = document.activeElement;
  $("privacy").hidden = !on;
  if (on) $("privacy-close").focus();
  else if (privacyOpener?.checkVisibility()) privacyOpener.focus();
  else $("privacy-link").focus();
}

/** A size in bytes, in the language shown (kB, MB or GB). @param {number} bytes */
function size(bytes) {
  const [value, unit] =
    bytes >= 1e9
      ? [bytes / 1e9, "gigabyte"]
      : bytes >= 1e6
        ? [bytes / 1e6, "megabyte"]
        : [bytes / 1e3, "kilobyte"];
  return new Intl.NumberFormat(language(), {
    style: "unit",
    unit,
    maximumFractionDigits: value < 10 ? 1 : 0,
  }).format(value);
}

/** The kept studies on the start screen, with the space they use. */
export async function renderKept() {
  const all = await keptRecords().catch(() => []);
  const list = $("kept-list");
  list.replaceChildren();
  const hide = app.hidePatient;
  for (const record of all) {
    const item = document.createElement("li");
    item.dataset.kept = record.id;
    const open = document.createElement("button");
    open.type = "button";
    open.className = "kept-open";
    open.id = `kept-${record.id}`;
    /** @param {string} className @param {string} text */
    const part = (className, text) => {
      const span = document.createElement("span");
      span.className = className;
      span.textContent = text;
      return span;
    };
    open.append(
      part("kept-patient", hide ? ($("kept-hidden-label").textContent ?? "") : record.patient),
      part("kept-study", hide ? "" : record.study),
      part("kept-date", hide ? "" : dicomDate(record.date)),
      part("kept-size", size(record.bytes)),
    );
    open.addEventListener("click", () => reportFailure(openKept(record.id)));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button kept-forget";
    remove.textContent = $("kept-forget-label").textContent;
    remove.setAttribute("aria-describedby", open.id);
    remove.addEventListener("click", () => reportFailure(forget(record.id)));
    item.append(open, remove);
    list.append(item);
  }
  $("kept").hidden = all.length === 0;
  const bytes = all.reduce((sum, r) => sum + r.bytes, 0);
  $("kept-usage-value").textContent = size(bytes);
}
