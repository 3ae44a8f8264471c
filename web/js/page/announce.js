// What the active viewport shows, said to screen readers (issue 18 item 5, WCAG 4.1.3):
// "Image n of N", the series and the window, in a polite live region, once the user
// pauses (a scroll through a hundred images is one sentence, not a hundred).
import { $, app, pane } from "./app.js";
import { t } from "../i18n/i18n.js";
import { onLanguage } from "./language.js";

/** How long the view must rest before it is said, in milliseconds. */
export const ANNOUNCE_AFTER_MS = 600;

let timer = /** @type {number | null} */ (null);

/** The sentence for the active pane, or "" when it shows nothing. */
export function viewSentence() {
  const p = pane();
  const series = p?.seriesInfo;
  if (!p || !series) return "";
  const parts = [t("announce.image", { n: p.frame + 1, count: series.frames })];
  // The series description can name the patient: not said while patient information is hidden.
  if (series.description && !app.hidePatient)
    parts.push(t("announce.series", { series: series.description }));
  const center = p.info?.windowCenter;
  const width = p.info?.windowWidth;
  if (typeof center === "number" && typeof width === "number")
    parts.push(t("announce.window", { center: round(center), width: round(width) }));
  // Joined as the language lists (Arabic's comma is "،").
  return parts.reduce((first, next) => t("announce.list", { first, next }));
}

/** @param {number} value */
function round(value) {
  return Math.round(value * 10) / 10;
}

// Another language: the sentence again, in it, at once (the view did not move).
onLanguage(() => {
  $("announcer").textContent = viewSentence();
});

/** The active pane changed: say it once the view rests. */
export function announceView() {
  if (timer !== null) window.clearTimeout(timer);
  timer = window.setTimeout(() => {
    timer = null;
    const region = $("announcer");
    const sentence = viewSentence();
    if (region.textContent !== sentence) region.textContent = sentence;
  }, ANNOUNCE_AFTER_MS);
}
