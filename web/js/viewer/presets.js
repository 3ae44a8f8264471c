// Window presets: the file's own windows first, then the modality's standard ones. Labels
// are in the language shown (the catalogs' preset.* keys); a file's explanation as it is.
import { t } from "../i18n/i18n.js";

/** @typedef {{label: string, center: number|null, width: number|null, voi?: number}} Preset */

/** CT windows in HU (centre, width), as commonly used in radiology. */
const CT = [
  ["preset.brain", 40, 80],
  ["preset.subdural", 75, 215],
  ["preset.stroke", 40, 40],
  ["preset.lung", -600, 1500],
  ["preset.mediastinum", 50, 350],
  ["preset.abdomen", 50, 400],
  ["preset.liver", 30, 150],
  ["preset.bone", 400, 1800],
];

/**
 * @param {string} modality
 * @param {{center: number|null, width: number|null, explanation: string, kind?: string}[]} fileWindows
 *   the file's VOIs in order: windows (kind "window") then VOI LUTs (kind "lut")
 * @returns {Preset[]}
 */
export function presetsFor(modality, fileWindows) {
  /** @type {Preset[]} */
  const presets = [
    {
      label: t(fileWindows.length ? "preset.file_default" : "preset.automatic"),
      center: null,
      width: null,
    },
  ];
  fileWindows.forEach((w, i) => {
    if (w.kind === "lut" || w.center === null || w.width === null) {
      presets.push({
        label: t("preset.file_lut", {
          name: w.explanation || t("preset.voi_lut", { n: i + 1 }),
        }),
        center: null,
        width: null,
        voi: i,
      });
    } else {
      presets.push({
        label: t("preset.file_window", {
          name: w.explanation || t("preset.window", { n: i + 1 }),
          center: w.center,
          width: w.width,
        }),
        center: w.center,
        width: w.width,
        voi: i,
      });
    }
  });
  if (modality === "CT") {
    for (const [label, center, width] of CT)
      presets.push({
        label: t("preset.named", { name: t(String(label)), center, width }),
        center: Number(center),
        width: Number(width),
      });
  }
  return presets;
}
