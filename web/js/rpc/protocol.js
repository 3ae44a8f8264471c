// The contract between the page and the worker. One reply per request.
//
// page ► worker:  Request
// worker ► page:  Reply (exactly one per Request id), or Progress / Fatal notices.

/**
 * @typedef {{name: string, reason: string}} Skipped
 * @typedef {{uid: string, modality: string, description: string, number: number|null,
 *            frames: number, rows: number, columns: number, photometric: string,
 *            studyUid?: string, patientKey?: string, date?: string}} SeriesInfo
 * @typedef {{index: number, name: string, kind: string, title: string, type: string, date: string, text: string}} DocumentInfo
 * @typedef {{series: SeriesInfo[], skipped: Skipped[], documents?: DocumentInfo[], report?: any}} Catalog
 * @typedef {Catalog & {opened: string[], first: number|null, cancelled?: boolean}} OpenResult
 * @typedef {{center: number|null, width: number|null, function: string|null, explanation: string,
 *            kind?: string}} WindowInfo
 * @typedef {{series: number, frame: number, frames: number, width: number, height: number,
 *            file: string, photometric: string, windows: WindowInfo[],
 *            windowCenter: number|null, windowWidth: number|null,
 *            windowFunction?: string, windowSource: string, decoder?: string,
 *            transferSyntax?: string, warning?: string, view?: any}} FrameInfo
 * @typedef {{info: FrameInfo, pixels: ArrayBuffer}} RenderResult
 *
 * @typedef {{names: string[], buffers: ArrayBuffer[]}} OpenArgs
 * @typedef {{series: number, frame: number, center: number|null, width: number|null,
 *            invert: boolean}} RenderArgs
 *
 * @typedef {{id: number, method: "open", args: OpenArgs}
 *         | {id: number, method: "render", args: RenderArgs}
 *         | {id: number, method: "catalog", args: {}}
 *         | {id: number, method: "closeAll", args: {}}} Request
 *
 * @typedef {{name: string, message: string}} WorkerError
 * @typedef {{type: "reply", id: number, ok: true, result: any}
 *         | {type: "reply", id: number, ok: false, error: WorkerError}} Reply
 * @typedef {{type: "progress", step: string, label: string, index: number, total: number,
 *            seconds: number}} Progress
 * @typedef {{type: "ready", seconds: number}} Ready
 * @typedef {{type: "fatal", error: WorkerError}} Fatal
 * @typedef {Reply | Progress | Ready | Fatal} WorkerMessage
 */

/** Names of the start-up steps, in order, as the page shows them. */
export const BOOT_STEPS = /** @type {const} */ ([
  ["runtime", "Loading the Python runtime"],
  ["packages", "Loading numpy and pydicom"],
  ["import", "Starting the DICOM engine"],
]);

/**
 * Turn a Python traceback (or any error) into the one line a user can read:
 * "file: reason" for Lightbox's own errors.
 * @param {unknown} error
 * @returns {WorkerError}
 */
export function toWorkerError(error) {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .trim()
    .split("\n")
    .filter((line) => line.trim() !== "");
  const last = lines.length ? lines[lines.length - 1] : text;
  const match = /^([\w.]+(?:Error|Exception)):\s*(.*)$/s.exec(last);
  if (match) {
    const name = match[1].split(".").pop() ?? "Error";
    return { name, message: match[2] };
  }
  return { name: error instanceof Error ? error.name : "Error", message: last };
}
