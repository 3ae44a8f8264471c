// The segmentation panel (issue 16 item 4): for the active pane's series, each SEG drawn
// over it with a visibility toggle and an opacity slider, and each of its segments with
// its colour, a toggle, and its statistics (volume in ml, mean value under it) once the
// worker has worked them out. setOverlay() is what the panel and window.lightbox call.
import { $, app, pane, reportFailure } from "./app.js";
import { client } from "./engine.js";
import { defaultSetting, drawnOver } from "../viewer/segment-layer.js";
import { errorText } from "../viewer/engine-text.js";
import { language, t } from "../i18n/i18n.js";
import { onLanguage } from "./language.js";

/** @typedef {import("../rpc/protocol.js").SegmentStats} SegmentStats */

/** Statistics by `${series uid}|${SEG uid}`, asked once. @type {Map<string, Promise<SegmentStats[]>>} */
const statistics = new Map();

/**
 * Show or hide a segmentation (or one of its segments) and set its opacity (0 to 1, 1:
 * the colour replaces the pixel); every pane redraws.
 * A fusion (a series' UID) also takes `colormap` ("hot-iron", "rainbow", "grey") and
 * `window` ([low, high] modality values at the colour map's ends; null: automatic).
 * @param {{uid: string, segment?: number, visible?: boolean, opacity?: number,
 *          colormap?: string, window?: number[] | null}} change
 */
export async function setOverlay({ uid, segment, visible, opacity, colormap, window }) {
  const kind = kindOf(uid);
  if (!kind) throw new Error(`no segmentation, RT object or fusable series ${uid} is open`);
  const was = app.segmentSettings.get(uid) ?? defaultSetting(kind, uid);
  const next = { ...was, hidden: [...was.hidden] };
  if (colormap !== undefined) next.colormap = String(colormap);
  if (window !== undefined) next.window = window ? [Number(window[0]), Number(window[1])] : null;
  if (segment === undefined || segment === null) {
    if (visible !== undefined) next.visible = Boolean(visible);
  } else if (visible !== undefined) {
    next.hidden = next.hidden.filter((n) => n !== segment);
    if (!visible) next.hidden.push(segment);
  }
  if (opacity !== undefined) next.opacity = Math.min(Math.max(Number(opacity), 0), 1);
  app.segmentSettings.set(uid, next);
  renderSegmentPanel();
  await Promise.all(app.panes.map((p) => (p.series >= 0 ? p.changed() : null)));
}

/** The kind of an object drawn over some open series (issue 16), or null. */
function kindOf(/** @type {string} */ uid) {
  for (const series of app.catalog.series) {
    const found = drawnOver(series).find((g) => g.uid === uid);
    if (found) return found.kind;
  }
  return null;
}

/**
 * The statistics of a SEG's segments over the active series.
 * @param {string} uid @returns {Promise<SegmentStats[]>}
 */
export function segmentStats(uid) {
  const p = pane();
  const key = `${p.seriesInfo?.uid}|${uid}`;
  let found = statistics.get(key);
  if (!found) {
    found = client.call("segmentStats", { series: p.series, uid });
    found.catch(() => statistics.delete(key));
    statistics.set(key, found);
  }
  return found;
}

/**
 * What state() says of an applied blending state's superimposed series (issue 16 item 1,
 * PS3.4 N.2.4), listed as a fusion is: its series' uid, the state's uid and opacity.
 * @param {import("../viewer/pane.js").Pane} p
 */
function blendState(p) {
  const blend = p.blend;
  if (!blend) return [];
  const onFrame = p.segments.segments.some((o) => o.uid === blend.uid);
  return [
    {
      kind: "blend",
      uid: blend.series ?? blend.seriesUid,
      presentation: blend.uid,
      label: blend.label,
      colormap: "palette",
      visible: true,
      opacity: blend.opacity,
      open: blend.series !== null,
      onFrame,
      segments: [],
    },
  ];
}

/** What state() says of the segmentations over the active pane's series and frame. */
export function overlayState() {
  const p = pane();
  const onFrame = p.segments.segments;
  return [...blendState(p), ...drawnOverState(p, onFrame)];
}

/**
 * @param {import("../viewer/pane.js").Pane} p
 * @param {import("../rpc/protocol.js").SegmentOnFrame[]} onFrame
 */
function drawnOverState(p, onFrame) {
  return drawnOver(p.seriesInfo).map((seg) => {
    const chosen = app.segmentSettings.get(seg.uid);
    const hidden = chosen?.hidden ?? [];
    const fallback = defaultSetting(seg.kind, seg.uid);
    return {
      kind: seg.kind,
      uid: seg.uid,
      label: seg.label,
      ...(seg.kind === "fusion" ? { colormap: chosen?.colormap ?? "hot-iron" } : {}),
      visible: chosen?.visible ?? fallback.visible,
      opacity: chosen?.opacity ?? defaultSetting(seg.kind, seg.uid).opacity,
      frames: seg.frames,
      segments: seg.segments.map((s) => ({
        number: s.number,
        label: s.label,
        color: s.color,
        visible: (chosen?.visible ?? fallback.visible) && !hidden.includes(s.number),
        onFrame: onFrame.some((o) => o.uid === seg.uid && o.segment === s.number),
      })),
    };
  });
}

/** @param {string} tag @param {string} [text] */
function node(tag, text) {
  const made = document.createElement(tag);
  if (text !== undefined) made.textContent = text;
  return made;
}

/**
 * @param {number | null} value @param {number} digits
 * @returns {import("../i18n/i18n.js").Param}
 */
function fixed(value, digits) {
  return value === null || value === undefined ? "–" : { number: value, digits };
}

/** What the panel calls an object while patient information is hidden. */
const HIDDEN_LABEL = /** @type {Record<string, string>} */ ({
  SEG: "segments.seg",
  RTSTRUCT: "segments.rtstruct",
  RTDOSE: "segments.rtdose",
  fusion: "segments.fusion",
});

/** A fusion's colour map menu. @param {string} uid @param {string | undefined} chosen */
function colormapChoice(uid, chosen) {
  const menu = /** @type {HTMLSelectElement} */ (node("select"));
  menu.setAttribute("aria-label", t("segments.colormap"));
  for (const name of ["hot-iron", "rainbow", "grey"]) {
    const option = /** @type {HTMLOptionElement} */ (node("option", t(`colormap.${name}`)));
    option.value = name;
    menu.append(option);
  }
  menu.value = chosen ?? "hot-iron";
  menu.addEventListener("change", () => reportFailure(setOverlay({ uid, colormap: menu.value })));
  return menu;
}

onLanguage(() => renderSegmentPanel());

export function renderSegmentPanel() {
  const panel = $("segment-panel");
  const list = $("segment-list");
  const p = pane();
  const series = p?.seriesInfo;
  const segs = drawnOver(series);
  const key = JSON.stringify([
    series?.uid,
    segs,
    [...app.segmentSettings.values()],
    app.hidePatient,
    language(),
  ]);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  panel.hidden = !segs.length;
  list.replaceChildren();
  for (const seg of segs) {
    // a SEG's label is its Series Description, which de-identification removes
    const hidden = HIDDEN_LABEL[seg.kind];
    const label = app.hidePatient ? (hidden ? t(hidden) : seg.kind) : seg.label;
    const chosen = app.segmentSettings.get(seg.uid);
    const item = node("li");
    const toggle = /** @type {HTMLInputElement} */ (node("input"));
    toggle.type = "checkbox";
    toggle.checked = chosen?.visible ?? defaultSetting(seg.kind, seg.uid).visible;
    toggle.setAttribute("aria-label", t("segments.show", { label }));
    toggle.addEventListener("change", () =>
      reportFailure(setOverlay({ uid: seg.uid, visible: toggle.checked })),
    );
    const slider = /** @type {HTMLInputElement} */ (node("input"));
    slider.type = "range";
    slider.min = "0";
    slider.max = "1";
    slider.step = "0.05";
    slider.value = String(chosen?.opacity ?? defaultSetting(seg.kind, seg.uid).opacity);
    slider.setAttribute("aria-label", t("segments.opacity", { label }));
    slider.addEventListener("change", () =>
      reportFailure(setOverlay({ uid: seg.uid, opacity: Number(slider.value) })),
    );
    const title = node("label");
    title.append(toggle, ` ${label}`);
    item.append(title, node("div", "opacity"), slider);
    if (seg.kind === "fusion") item.append(colormapChoice(seg.uid, chosen?.colormap));
    const segments = node("ul");
    for (const s of seg.segments) {
      const row = node("li");
      const box = /** @type {HTMLInputElement} */ (node("input"));
      box.type = "checkbox";
      box.checked = !(chosen?.hidden ?? []).includes(s.number);
      box.setAttribute("aria-label", t("segments.show_segment", { label: s.label }));
      box.addEventListener("change", () =>
        reportFailure(setOverlay({ uid: seg.uid, segment: s.number, visible: box.checked })),
      );
      const swatch = node("span");
      swatch.className = "swatch";
      swatch.style.background = `rgb(${s.color.join(", ")})`;
      const stats = node("div");
      stats.className = "detail";
      stats.textContent = t("segments.statistics");
      row.append(box, swatch, ` ${s.label}`, stats);
      segments.append(row);
      if (seg.kind !== "SEG") {
        stats.textContent = "";
        continue;
      }
      segmentStats(seg.uid)
        .then((all) => {
          const mine = all.find((x) => x.segment === s.number);
          stats.textContent = mine
            ? t("segments.stats", {
                ml: fixed(mine.volumeMl, 2),
                mean: fixed(mine.mean, 1),
                voxels: mine.voxels,
              })
            : "";
        })
        .catch((error) => (stats.textContent = errorText(error)));
    }
    item.append(segments);
    list.append(item);
  }
}
