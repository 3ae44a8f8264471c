// The on-image text (web/js/viewer/overlay.js): what each corner and edge says.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dicomDate, isoDate, overlayText, round } from "../../web/js/viewer/overlay.js";

/** A date as Intl writes it in English (the language Node's tests run in): the expectation. */
const english = (/** @type {string} */ iso) =>
  new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(iso));

/** @typedef {import("../../web/js/rpc/protocol.js").FrameInfo} FrameInfo */

/** @param {Record<string, unknown>} [view] @param {Partial<FrameInfo>} [info] */
function frame(view = {}, info = {}) {
  return /** @type {FrameInfo & {view?: any}} */ ({
    series: 0,
    frame: 4,
    frames: 24,
    width: 128,
    height: 128,
    file: "IM0005",
    photometric: "MONOCHROME2",
    windows: [],
    windowCenter: 40,
    windowWidth: 400,
    windowSource: "file",
    view,
    ...info,
  });
}

const OPTIONS = {
  hidePatient: false,
  scale: 1.5,
  invert: false,
  rotation: 0,
  flipH: false,
  flipV: false,
};

const VIEW = {
  patient: { name: "PHANTOM^HEAD", id: "LB0001", birthDate: "1970-01-01", sex: "O" },
  study: { date: "20240131", description: "CT HEAD" },
  seriesNumber: 2,
  seriesDescription: "Axial",
  sliceLocation: -12.25,
  sliceThickness: 5,
  orientation: { top: "A", right: "L", bottom: "P", left: "R" },
};

test("the corners: patient, study and series, image and slice, window and zoom", () => {
  const { text, lossy } = overlayText(frame(VIEW), OPTIONS);
  assert.equal(text.tl, "PHANTOM^HEAD\nID LB0001\n1970-01-01  O");
  assert.equal(text.tr, `${english("2024-01-31")}  CT HEAD\nSe 2  Axial\nIM0005`);
  assert.equal(text.bl, "Image 5 / 24\nLoc -12.3 mm  Thk 5 mm"); // toFixed(1) rounds -12.25 to -12.3
  assert.equal(text.br, "W 400  L 40\nZoom 150%");
  assert.deepEqual([text.top, text.right, text.bottom, text.left], ["A", "L", "P", "R"]);
  assert.equal(lossy, false);
});

test("hidden patient information leaves no name, ID, date, description or file", () => {
  const { text } = overlayText(frame(VIEW), { ...OPTIONS, hidePatient: true });
  assert.equal(text.tl, "Patient information hidden");
  assert.equal(text.tr, "Se 2");
});

test("LOSSY, inverted, turned and flipped; no window, no orientation", () => {
  const turned = overlayText(frame({ ...VIEW, lossy: true }), {
    ...OPTIONS,
    invert: true,
    rotation: 90,
  });
  assert.match(turned.text.bl, /\nLOSSY$/);
  assert.equal(turned.lossy, true);
  assert.match(turned.text.br, /\nInverted$/);
  // a quarter turn clockwise: the image's left edge (R) is at the top
  assert.deepEqual([turned.text.top, turned.text.right], ["R", "A"]);
  const bare = overlayText(frame({}, { windowCenter: null, windowWidth: null }), OPTIONS);
  assert.equal(bare.text.br, "Zoom 150%");
  assert.equal(bare.text.tl, "");
  assert.equal(bare.text.top, "");
});

test("round keeps one decimal below 100; isoDate writes YYYY-MM-DD, dicomDate as Intl", () => {
  assert.equal(round(39.96), 40);
  assert.equal(round(-12.34), -12.3);
  assert.equal(round(1234.5), 1235);
  assert.equal(isoDate("20240131"), "2024-01-31");
  assert.equal(dicomDate("20240131"), english("2024-01-31"));
  assert.equal(dicomDate("2024"), "2024");
  assert.equal(dicomDate(undefined), "");
  assert.equal(isoDate(undefined), "");
});

test("a reformatted view says its plane, position and slab, not an image number", () => {
  const plane = { plane: "coronal", normal: [0, 1, 0], position: -7.25, slab: 0, projection: null };
  const { text } = overlayText(frame(VIEW, { volumeView: plane }), OPTIONS);
  assert.equal(text.bl, "Coronal  -7.3 mm");
  const slab = { ...plane, plane: "oblique", position: 3, slab: 30, projection: "mip" };
  assert.equal(
    overlayText(frame(VIEW, { volumeView: slab }), OPTIONS).text.bl,
    "Oblique  3.0 mm\nMIP slab 30 mm",
  );
});

test("a 3D view says its preset, camera and its own zoom", () => {
  const camera = { mode: "3d", preset: "soft-tissue", azimuth: 30, elevation: -12.5, zoom: 2 };
  const { text } = overlayText(frame(VIEW, { view3d: camera }), OPTIONS);
  assert.equal(text.bl, "3D soft tissue\nazimuth 30°  elevation -12.5°");
  assert.equal(text.br, "W 400  L 40\nZoom 200%");
});
