// Window presets: the file's own windows first, then the modality's standard ones.

/** @typedef {{label: string, center: number|null, width: number|null, voi?: number}} Preset */

/** CT windows in HU (centre, width), as commonly used in radiology. */
const CT = [
  ["Brain", 40, 80],
  ["Subdural", 75, 215],
  ["Stroke", 40, 40],
  ["Lung", -600, 1500],
  ["Mediastinum", 50, 350],
  ["Abdomen", 50, 400],
  ["Liver", 30, 150],
  ["Bone", 400, 1800],
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
    { label: fileWindows.length ? "File default" : "Automatic", center: null, width: null },
  ];
  fileWindows.forEach((w, i) => {
    if (w.kind === "lut" || w.center === null || w.width === null) {
      presets.push({
        label: `File LUT: ${w.explanation || `VOI LUT ${i + 1}`}`,
        center: null,
        width: null,
        voi: i,
      });
    } else {
      presets.push({
        label: `File: ${w.explanation || `window ${i + 1}`} (${w.center}/${w.width})`,
        center: w.center,
        width: w.width,
        voi: i,
      });
    }
  });
  if (modality === "CT") {
    for (const [label, center, width] of CT)
      presets.push({
        label: `${label} (${center}/${width})`,
        center: Number(center),
        width: Number(width),
      });
  }
  return presets;
}
