// The on-image text of a viewport: patient and study in the corners, image number, slice,
// window and zoom, and the orientation markers at the edges. overlayText, what it says,
// is pure (unit-tested in Node); the rest makes, fills and paints its text boxes.
import { screenLabels } from "./interaction.js";
import { formatDate, t } from "../i18n/i18n.js";

/** @typedef {import("../rpc/protocol.js").FrameInfo} FrameInfo */
/**
 * @typedef {"tl"|"tr"|"bl"|"br"|"top"|"right"|"bottom"|"left"} TextBox the four corners
 *   and the four edges' orientation markers
 * @typedef {Record<TextBox, string>} OverlayText
 * @typedef {Record<TextBox, HTMLElement>} TextBoxes
 * @typedef {{hidePatient: boolean, scale: number, invert: boolean, rotation: number,
 *            flipH: boolean, flipV: boolean, keyImage?: string[]}} OverlayOptions scale: CSS
 *   pixels per image pixel; keyImage: the titles of the KOS flagging the frame
 */

export const TEXT_BOXES = /** @type {const} */ ([
  "tl",
  "tr",
  "bl",
  "br",
  "top",
  "right",
  "bottom",
  "left",
]);

/** @param {number} value */
export function round(value) {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
}

/** YYYYMMDD as YYYY-MM-DD (a machine value: window.lightbox's). @param {string | undefined} date */
export function isoDate(date) {
  const text = date ?? "";
  return /^\d{8}$/.test(text)
    ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`
    : text;
}

/**
 * A DICOM date (YYYYMMDD) as the language writes it (Intl); other text as it is.
 * @param {string | undefined} date
 */
export function dicomDate(date) {
  const text = date ?? "";
  return /^\d{8}$/.test(text) ? formatDate(text) : text;
}

/** @param {unknown[]} parts @param {string} separator */
function joined(parts, separator) {
  return parts.filter(Boolean).join(separator);
}

/**
 * What a reformatted view says of itself: its plane and where it is, and its slab.
 * @param {import("../rpc/protocol.js").VolumeView} shown the view as shown
 */
export function planeText(shown) {
  const plane = t(`plane.${shown.plane}`);
  const at = t("overlay.plane", { plane, position: { number: shown.position ?? 0, digits: 1 } });
  if (!shown.slab) return at;
  const projection = t(`projection.${shown.projection ?? "average"}`);
  return `${at}\n${t("overlay.slab", { projection, mm: round(shown.slab) })}`;
}

/**
 * What a 3D view says of itself: its preset and where the camera is.
 * @param {{preset: string, azimuth: number, elevation: number}} camera
 */
export function cameraText(camera) {
  const preset = t(`preset3d.${camera.preset}`);
  const where = { azimuth: round(camera.azimuth), elevation: round(camera.elevation) };
  return `${t("overlay.3d", { preset })}\n${t("overlay.camera", where)}`;
}

/**
 * The text of each box for a frame.
 * @param {FrameInfo & {view?: any}} info
 * @param {OverlayOptions} options
 * @returns {{text: OverlayText, lossy: boolean}}
 */
export function overlayText(info, options) {
  const view = info.view ?? {};
  const hide = options.hidePatient;
  const patient = view.patient ?? {};
  const tl = hide
    ? t("patient_information_hidden")
    : joined(
        [
          patient.name,
          patient.id && t("overlay.id", { id: patient.id }),
          joined([patient.birthDate, patient.sex], "  "),
        ],
        "\n",
      );
  const tr = joined(
    [
      hide ? "" : joined([dicomDate(view.study?.date), view.study?.description], "  "),
      joined(
        [
          view.seriesNumber && t("overlay.series", { n: view.seriesNumber }),
          hide ? "" : view.seriesDescription,
        ],
        "  ",
      ),
      info.file && !hide ? info.file : "",
    ],
    "\n",
  );
  const slice = joined(
    [
      view.sliceLocation !== null && view.sliceLocation !== undefined
        ? t("overlay.location", { mm: { number: view.sliceLocation, digits: 1 } })
        : "",
      view.sliceThickness ? t("overlay.thickness", { mm: view.sliceThickness }) : "",
    ],
    "  ",
  );
  const titles = options.keyImage?.join(", ");
  const key = titles ? t("overlay.key_image", { titles }) : "";
  const where = info.view3d
    ? cameraText(info.view3d)
    : info.volumeView
      ? planeText(info.volumeView)
      : t("overlay.image", { n: info.frame + 1, count: info.frames });
  const bl = joined(
    [key, where]
      .concat(info.volumeView || info.view3d ? [] : [slice])
      .concat([view.lossy ? t("overlay.lossy") : ""]),
    "\n",
  );
  const windowText =
    info.windowCenter !== null && info.windowWidth !== null
      ? t("overlay.window", { width: round(info.windowWidth), center: round(info.windowCenter) })
      : "";
  const br = joined(
    [
      windowText,
      t("overlay.zoom", {
        percent: Math.round((info.view3d ? info.view3d.zoom : options.scale) * 100),
      }),
      options.invert ? t("overlay.inverted") : "",
    ],
    "\n",
  );
  const labels = view.orientation
    ? screenLabels(view.orientation, options.rotation, options.flipH, options.flipV)
    : { top: "", right: "", bottom: "", left: "" };
  return { text: { tl, tr, bl, br, ...labels }, lossy: Boolean(view.lossy) };
}

/** The boxes' class names (style.css places them). */
const BOX_CLASSES = {
  tl: "overlay top-left",
  tr: "overlay top-right",
  bl: "overlay bottom-left",
  br: "overlay bottom-right",
  top: "marker marker-top",
  right: "marker marker-right",
  bottom: "marker marker-bottom",
  left: "marker marker-left",
};

/** @returns {TextBoxes} the eight boxes, empty, for the pane to place */
export function createTextBoxes() {
  const boxes = /** @type {TextBoxes} */ ({});
  for (const box of TEXT_BOXES) {
    boxes[box] = document.createElement("div");
    boxes[box].className = BOX_CLASSES[box];
  }
  return boxes;
}

/**
 * Show the text, or (null) hide every box. Only what changed is written: an unchanged
 * text left alone costs the page no layout.
 * @param {TextBoxes} boxes @param {{text: OverlayText, lossy: boolean} | null} content
 */
export function writeTextBoxes(boxes, content) {
  for (const node of Object.values(boxes)) node.hidden = !content;
  if (!content) return;
  boxes.bl.classList.toggle("lossy", content.lossy);
  for (const box of TEXT_BOXES) {
    if (boxes[box].textContent !== content.text[box]) boxes[box].textContent = content.text[box];
  }
}

/**
 * Paint the boxes' text where it shows on screen, onto a canvas the size of the pane's.
 * @param {OffscreenCanvasRenderingContext2D} ctx
 * @param {TextBoxes} boxes
 * @param {HTMLElement} root the pane
 * @param {number} ratio canvas pixels per CSS pixel
 */
export function paintTextBoxes(ctx, boxes, root, ratio) {
  ctx.font = `${12 * ratio}px system-ui, sans-serif`;
  ctx.fillStyle = "#f0f0f0";
  const base = root.getBoundingClientRect();
  for (const node of Object.values(boxes)) {
    if (node.hidden || !node.textContent) continue;
    const box = node.getBoundingClientRect();
    node.textContent.split("\n").forEach((line, i) => {
      const y = box.top - base.top + 12 + i * 15;
      ctx.fillText(line, (box.left - base.left) * ratio, y * ratio);
    });
  }
}
