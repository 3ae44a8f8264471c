// Window presets: the file's own windows first, then the modality's standard ones.

/** @typedef {{label: string, center: number|null, width: number|null}} Preset */

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
 * @param {{center: number, width: number, explanation: string}[]} fileWindows
 * @returns {Preset[]}
 */
export function presetsFor(modality, fileWindows) {
  /** @type {Preset[]} */
  const presets = [{ label: fileWindows.length ? "File default" : "Automatic", center: null, width: null }];
  fileWindows.forEach((w, i) => {
    presets.push({ label: `File: ${w.explanation || `window ${i + 1}`} (${w.center}/${w.width})`, center: w.center, width: w.width });
  });
  if (modality === "CT") {
    for (const [label, center, width] of CT) presets.push({ label: `${label} (${center}/${width})`, center: Number(center), width: Number(width) });
  }
  return presets;
}
