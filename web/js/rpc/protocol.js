// The contract between the page and the worker. One reply per request.
//
// page ► worker:  Request
// worker ► page:  Reply (exactly one per Request id), or Progress / Ready / Alive / Fatal
//                 notices.

/**
 * @typedef {{name: string, reason: string, said?: Said}} Skipped
 * @typedef {{file: string, reason: string}} Warning
 * An engine's message with its catalog id, as py/lightbox/core/messages.py sends it (the
 * page's i18n.js `said` shows it in the language shown).
 * @typedef {{text: string, key?: string, params?: Record<string, any>, count?: number}} Said
 * What a volume's plan says (tilt, uneven spacing, missing slices) or why it is none;
 * `said` is the message with its catalog id (i18n.js `said`).
 * @typedef {{code: string, message: string, said?: Said}}
 *   VolumeWarning
 * @typedef {{uid: string, modality: string, description: string, number: number|null,
 *            frames: number, rows: number, columns: number, photometric: string,
 *            studyUid?: string, patientKey?: string, date?: string, overlays?: boolean,
 *            warnings?: Warning[], ordering?: string, mixedOrientation?: boolean,
 *            codecs?: string[], files?: string[], kind?: string, codec?: string,
 *            playable?: boolean, reason?: string, segmentations?: SegmentationInfo[],
 *            rtStructures?: StructureSetInfo[], rtDoses?: DoseInfo[], fusions?: FusionInfo[],
 *            keyImages?: number[],
 *            keyObjects?: {uid: string, seriesUid: string, title: string, frames: number[]}[],
 *            objects?: {kind: string, uid: string, seriesUid: string, label: string}[],
 *            waveform?: {type: string, audio: boolean, groups: {label: string,
 *              channels: number, samples: number, sampleRate: number, duration: number,
 *              labels: string[]}[]}, slide?: SlideSummary,
 *            bscans?: {series: number, lines: (number[] | null)[]}, enFace?: number}} SeriesInfo
 * `bscans` (an en-face image): the series of its OCT B-scans and each B-scan's line on it,
 * [x0, y0, x1, y1] in its pixels (PS3.3 C.8.17.7); `enFace` (B-scans): that image's series.
 * A whole-slide image (issue 15 item 2): its levels, the finest's size and spacing (µm per
 * pixel, x then y).
 * @typedef {{levels: number, width: number, height: number, spacing: number[],
 *            calibrated: boolean, opticalPaths: string[]}} SlideSummary
 * One pyramid level: total pixel matrix, tile size, µm per pixel, frames, and for a
 * TILED_SPARSE level each frame's (x, y) flat (null: TILED_FULL, frame = row × across + col).
 * @typedef {{file: string, width: number, height: number, tileWidth: number,
 *            tileHeight: number, spacing: number[], frames: number, organization: string,
 *            flavor: string, opticalPath: string, transferSyntax: string,
 *            positions: number[] | null, decoder?: "browser" | "engine",
 *            frameOffset?: number, focalPlane?: number}} SlideLevel
 * A slide shown at one optical path (`opticalPath` of `paths`) and focal plane (an index of
 * `planes`, their Z offsets in µm): PS3.3 C.8.12.5, C.8.12.6.1; `icc` the key of the
 * path's ICC profile, its tiles shown through it (worker/icc.js), or null.
 * @typedef {SlideSummary & {series: number, level: SlideLevel[], files: string[],
 *            opticalPath: string, paths: {id: string, label: string}[], focalPlane: number,
 *            planes: number[], icc?: string | null}} SlideInfo
 * A tile's place; `decoder` says who decoded it: "browser" (the worker, without Python:
 * baseline JPEG, native 8-bit RGB) or "engine" (Python); `ms` the worker's time reading and
 * decoding a tile the browser made (for the bench).
 * @typedef {{level: number, frame: number, x: number, y: number, width: number,
 *            height: number, file: string, decoder?: "browser" | "engine",
 *            ms?: number}} SlideTileInfo
 * A SEG drawn over a series (issue 16 item 4): its SOP Instance UID, series, label, file,
 * segments (number, label, sRGB colour from its CIELab value) and the frames it covers.
 * @typedef {{number: number, label: string, color: number[]}} SegmentInfo
 * @typedef {{uid: string, seriesUid: string, label: string, file: string,
 *            fractional: boolean, segments: SegmentInfo[], frames: number[]}} SegmentationInfo
 * An RT Structure Set drawn over a series (issue 16 item 5): its ROIs as `segments`
 * (ROI Number, ROI Name, ROI Display Color) and the frames its contours lie on.
 * @typedef {{kind: "RTSTRUCT", uid: string, seriesUid: string, label: string, file: string,
 *            segments: SegmentInfo[], frames: number[]}} StructureSetInfo
 * An RT Dose grid over a series: its isodose levels as `segments` (per cent of maxGy).
 * @typedef {{kind: "RTDOSE", uid: string, seriesUid: string, label: string, file: string,
 *            maxGy: number, segments: SegmentInfo[], frames?: number[]}} DoseInfo
 * A series that can be fused over it (issue 16 item 7): `uid` is that series' catalog UID.
 * @typedef {{kind: "fusion", uid: string, seriesUid: string, label: string,
 *            modality: string, colormaps: string[], segments: SegmentInfo[],
 *            frames?: number[]}} FusionInfo
 * How the page shows a SEG: visible, opacity 0..1 (1: the colour replaces the pixel), and
 * the segment numbers hidden.
 * A fusion's also has its colour map and window ([low, high] or null: automatic).
 * @typedef {{uid: string, visible: boolean, opacity: number, hidden: number[],
 *            colormap?: string, window?: number[] | null}} OverlaySetting
 * A text of the annotation layer (issue 16 items 1, 3): box [x0, y0, x1, y1] and anchor
 * [x, y] in image coordinates (0, 0: the top left corner of the first pixel); `line` for
 * labels stacked at the viewport's top left (a segment's measurements).
 * @typedef {{text: string, box: number[]|null, anchor: number[]|null, anchorVisible: boolean,
 *            color: number[], justification: string, layer: string, line?: number}} AnnotationText
 * An SR measurement on the frame shown.
 * @typedef {{kind: "measurement", uid: string, name: string, value: number|null, unit: string,
 *            graphic: string|null, on: string}} MeasurementOverlay
 * @typedef {{uid: string, segment: number, label: string, color: number[],
 *            visible: boolean}} SegmentOnFrame
 * @typedef {{segment: number, label: string, voxels: number, volumeMl: number|null,
 *            mean: number|null}} SegmentStats
 * A non-image object; `subtype` pdf, cda, stl, obj, mtl, sr, kos, rtplan or other, `pages`
 * a PDF's page count where its bytes tell it.
 * @typedef {{index: number, name: string, kind: string, subtype: string, pages: number|null,
 *            title: string, type: string, date: string, text: string, modality: string,
 *            uid: string, warnings?: {file: string, reason: string}[]}} DocumentInfo
 * @typedef {{series: SeriesInfo[], skipped: Skipped[], documents?: DocumentInfo[],
 *            report?: any}} Catalog
 * Where files of an open that were already open are shown: the first series holding one,
 * the first frame of theirs in it and its file, and how many there were.
 * @typedef {{series: number, frame: number, file: string, count: number}} Reopened
 * @typedef {Catalog & {opened: string[], first: number|null, reopened?: Reopened|null,
 *            cancelled?: boolean}} OpenResult
 * @typedef {{center: number|null, width: number|null, function: string|null, explanation: string,
 *            kind?: string}} WindowInfo
 * @typedef {{series: number, frame: number, frames: number, width: number, height: number,
 *            file: string, photometric: string, windows: WindowInfo[],
 *            windowCenter: number|null, windowWidth: number|null,
 *            windowFunction?: string, windowSource: string, decoder?: string,
 *            transferSyntax?: string, warning?: string, view?: any, step: number,
 *            voiIndex?: number|null, overlaysShown?: boolean, [key: string]: any}} FrameInfo
 * @typedef {{info: FrameInfo, pixels: ArrayBuffer}} RenderResult
 * A view of a series' volume (issue 14 item 6): the plane (axial, coronal, sagittal,
 * oblique with its normal), its position (mm along the normal), slab (total mm) and
 * projection; as shown, the normal and position are filled in.
 * A series of several volumes at the same positions (temporal positions, b-values) names
 * the one shown by `phase` (an index of VolumeInfo.phases.values; default 0). `pixels`:
 * "square" (default) or "natural" (one voxel step along each direction; the page asks
 * for these and draws them at their aspect).
 * @typedef {{plane: string, normal?: number[]|null, position?: number|null,
 *            slab?: number|null, projection?: string|null, phase?: number|null,
 *            pixels?: string}} VolumeView
 * Where a reformatted frame lies: pixel (r, c) at origin + c * columnSpacing *
 * rowDirection + r * rowSpacing * columnDirection (patient mm); `slab`, when a planeLayer
 * is asked for a slab view, its thickness in mm (its layer then covers its whole depth).
 * @typedef {{origin: number[], rowDirection: number[], columnDirection: number[],
 *            rowSpacing: number, columnSpacing: number, rows: number, columns: number,
 *            slab?: number}} Reslice
 * @typedef {{dims: number[]|null, spacing: number[]|null,
 *            warnings: VolumeWarning[],
 *            phases?: {attribute: string, values: string[], chosen: number}}} VolumeInfo
 * A series' volume for the page's 3D view, on a regular grid within the limits asked
 * (reduced in Python by whole factors, block means): the voxels (x fastest, then y, then
 * z) as int16 or float32 bytes; dims [columns, rows, slices] and spacing (mm) of the
 * grid sent; origin (patient mm of voxel 0's centre) and axes (unit patient vectors of
 * increasing column, row, slice); the value range; the source voxels per voxel sent; the
 * full volume's record; the series' window.
 * @typedef {{dims: number[], spacing: number[], origin: number[], axes: number[][],
 *            dtype: "int16"|"float32", range: number[], factors: number[],
 *            volume: VolumeInfo, modality: string, windowCenter: number|null,
 *            windowWidth: number|null, voxels: ArrayBuffer}} VolumeData
 * A SEG's segments as a label volume on the grid volumeData sends with the same limits
 * (issue 16 item 4, the 3D view): per voxel (x fastest) the segment's index, 1 + its place
 * in `segments` (0: none), uint8 (uint16 past 255 segments) bytes; `dims` and `factors`
 * as the volume's; each segment's number, label, sRGB colour and voxels on that grid.
 * @typedef {{uid: string, dims: number[], factors: number[], dtype: "uint8"|"uint16",
 *            segments: {index: number, number: number, label: string, color: number[],
 *                       voxels: number}[],
 *            labels: ArrayBuffer}} SegmentVolume
 * @typedef {{info: {width: number, height: number}, pixels: ArrayBuffer}} ThumbnailResult
 * A video series (issue 15): its file, coding ("h264", "hevc", "mpeg2"), whether the page
 * can play it (and why not), Number of Frames, Frame Time (ms), Columns and Rows, the
 * on-image information record (view) and the file's warnings; the stream is the bytes.
 * `reasonSaid` and `warningsSaid` are the reason and warnings with their catalog ids.
 * @typedef {{series: number, file: string, codec: string, playable: boolean, reason?: string,
 *            reasonSaid?: Said,
 *            frames: number, frameTime: number, width: number, height: number,
 *            transferSyntax: string, view: any, warnings: string[],
 *            warningsSaid?: Said[]}} VideoInfo
 * A waveform's multiplex group plotted (issue 15 item 3): the window of time shown (ms from
 * the first sample), the scales, one row per channel in plot pixels (value 0 of a voltage at
 * baseline, up positive), the annotations in the window; the points are float32 x, y pairs,
 * row i's at plot[i].points = [offset, count] (in pairs).
 * @typedef {{label: string, left: number, right: number, baseline: number, top: number,
 *            bottom: number, units: string, pxPerUnit: number, center: number,
 *            points: number[], labelSaid?: Said}} WaveformRow
 * @typedef {{text: string, kind: string, channels: string[], times: number[], x: number[]}}
 *            WaveformAnnotation
 * @typedef {{window: number[], pxPerMs: number, pxPerMv: number, sampleRate: number,
 *            channels: number, duration: number, group: number, groups: string[],
 *            groupsSaid?: Said[],
 *            width: number, height: number, file: string, type: string, audio: boolean,
 *            plot: WaveformRow[], annotations: WaveformAnnotation[],
 *            warnings: string[], warningsSaid?: Said[]}} WaveformPlot
 * @typedef {{info: WaveformPlot, points: ArrayBuffer}} WaveformResult
 * @typedef {{tag: string, keyword: string, name: string, vr: string, value: string,
 *            creator?: string, items?: TagNode[][], hidden?: boolean}} TagNode
 * @typedef {{meta: TagNode[], dataset: TagNode[], hidden: boolean}} Header
 * @typedef {{frameOfReference: string|null, positions: (number|null)[], frames: any[]}} Geometry
 *
 * The Python console (issue 21): what the page tells the console's engine before a run
 * (the active view, the measurements, its series' UIDs in order, the codecs they need),
 * and what a run gives back: status ("complete", "incomplete", "syntax-error"), the text
 * printed, the traceback ("" when none), images shown and files saved (with their bytes),
 * and the view the script set (null when it set none).
 * @typedef {{view: {series: number, frame: number, window: number[]|null},
 *            measurements: object[], order: string[], codecs?: string[]}} ConsoleContext
 * @typedef {{kind: "show", title: string, width: number, height: number, bytes: ArrayBuffer}
 *         | {kind: "save", name: string, mime: string, size: number, bytes: ArrayBuffer}}
 *   ConsoleEffect
 * @typedef {{status: string, output: string, error: string, effects: ConsoleEffect[],
 *            view: {series: number, frame: number, window: number[]|null}|null}} ConsoleResult
 *
 * The methods, each with its arguments and result: the one list the page calls
 * (Client.call), the worker serves (its dispatch table) and tests/js/contract.test.js
 * checks against both and against lightbox/browser/bridge.py.
 * @typedef {{
 *   open: {args: {names: string[], buffers: (ArrayBuffer | File)[]}, result: OpenResult},
 *   catalog: {args: {}, result: Catalog},
 *   closeAll: {args: {}, result: Catalog},
 *   render: {args: {series: number, frame: number, center: number|null, width: number|null,
 *            invert: boolean, overlays?: boolean, voi?: number|null, step?: number,
 *            presentation?: string|null}, result: RenderResult},
 *   renderView: {args: {series: number, view: VolumeView, center: number|null,
 *            width: number|null, invert: boolean, presentation?: string | null},
 *            result: RenderResult},
 *   volumeInfo: {args: {series: number, phase?: number|null}, result: VolumeInfo},
 *   volumeData: {args: {series: number, maxVoxels: number, maxDim: number},
 *                result: VolumeData},
 *   segmentVolume: {args: {series: number, uid: string, maxVoxels: number, maxDim: number},
 *                result: SegmentVolume},
 *   thumbnail: {args: {series: number, size: number}, result: ThumbnailResult},
 *   waveform: {args: {series: number, group: number, width: number, height: number,
 *            start: number, pxPerMs: number, pxPerMv: number}, result: WaveformResult},
 *   waveformAudio: {args: {series: number, group: number},
 *            result: {sampleRate: number, samples: ArrayBuffer}},
 *   slide: {args: {series: number, path?: string, plane?: number}, result: SlideInfo},
 *   slideTile: {args: {series: number, level: number, frame: number, path?: string},
 *            result: {info: SlideTileInfo, pixels?: ArrayBuffer, bitmap?: ImageBitmap}},
 *   segmentLayer: {args: {series: number, frame: number, settings: OverlaySetting[],
 *            presentation?: string | null, blended?: string | null,
 *            window?: {center: number | null, width: number | null} | null, invert?: boolean},
 *            result: {info: {width: number, height: number, segments: SegmentOnFrame[],
 *                     blendIcc?: string},
 *                     pixels: ArrayBuffer}},
 *   planeLayer: {args: {series: number, reslice: Reslice, settings: OverlaySetting[],
 *            presentation?: string | null},
 *            result: {info: {width: number, height: number, segments: SegmentOnFrame[]},
 *                     pixels: ArrayBuffer}},
 *   segmentStats: {args: {series: number, uid: string}, result: SegmentStats[]},
 *   annotationLayer: {args: {series: number, frame: number, presentation: string|null},
 *            result: {info: {width: number, height: number, texts: AnnotationText[],
 *                     measurements: MeasurementOverlay[]}, pixels: ArrayBuffer}},
 *   header: {args: {series: number, frame: number, hide?: boolean}, result: Header},
 *   probe: {args: {series: number, frame: number, x: number, y: number,
 *            view?: VolumeView|null}, result: any},
 *   region: {args: {series: number, frame: number, kind: string, box: number[],
 *            view?: VolumeView|null}, result: any},
 *   findText: {args: {series: number, frame: number}, result: number[][]},
 *   geometry: {args: {series: number}, result: Geometry},
 *   video: {args: {series: number}, result: {info: VideoInfo, stream: ArrayBuffer}},
 *   document: {args: {index: number}, result: {mime: string, bytes: ArrayBuffer}},
 *   deidPreview: {args: {options: object, series: number[]|null}, result: any},
 *   deidExport: {args: {options: object, series: number[]|null},
 *                result: {report: string, files: number, excluded: Skipped[], flagged: any[],
 *                         zip: ArrayBuffer}},
 *   dicomdirFiles: {args: {path: string, buffer: ArrayBuffer}, result: string[]},
 *   decodeTimes: {args: {series: number, frame: number, runs: number}, result: number[]},
 *   stats: {args: {}, result: {wasmHeap: number, bootSteps: Record<string, number>,
 *           fileBytes: number, cacheBytes: number, cacheBudget: number, cachedFrames: number,
 *           volumeBytes: number, volumes: number,
 *           building: {done: number, total: number} | null}},
 *   cancelWork: {args: {}, result: {cancelled: boolean}},
 *   setCacheBudget: {args: {bytes: number}, result: {fileBytes: number, cacheBytes: number,
 *           cacheBudget: number, cachedFrames: number}},
 *   consoleFiles: {args: {}, result: {names: string[], sizes: number[], bytes: ArrayBuffer}},
 *   consoleRun: {args: {code: string, context: ConsoleContext, typed?: boolean},
 *                result: ConsoleResult},
 *   consoleComplete: {args: {source: string}, result: {completions: string[], start: number}},
 *   consoleInterruptBuffer: {args: {buffer: SharedArrayBuffer}, result: boolean},
 * }} Methods
 * @typedef {keyof Methods} Method
 * @typedef {{[M in Method]: {id: number, method: M, args: Methods[M]["args"]}}[Method]} Request
 *
 * An error as it crosses: the kind (the Python exception's class, e.g. DecodeError), the
 * file it is about (null when none) and the reason in words; message is "file: reason".
 * The reason with its catalog id when the engine gave one (`said`, i18n.js Said).
 * @typedef {{name: string, file: string|null, reason: string, message: string,
 *            said?: Said | null}} WorkerError
 * @typedef {{type: "reply", id: number, ok: true, result: any}
 *         | {type: "reply", id: number, ok: false, error: WorkerError}} Reply
 * A start-up step (index of total), or de-identification's files done (step "deid": index
 * is the files done of total, told after each file).
 * @typedef {{type: "progress", step: string, label: string, index: number, total: number,
 *            seconds: number}} Progress
 * @typedef {{type: "ready", seconds: number}} Ready
 * @typedef {{type: "fatal", error: WorkerError}} Fatal
 * The Web Lock the worker holds while it lives (the page learns of its end by it).
 * @typedef {{type: "alive", lock: string}} Alive
 * @typedef {Reply | Progress | Ready | Alive | Fatal} WorkerMessage
 */

/**
 * The error object for a failure: what the bridge kept of a Python error, or a JS error.
 * @param {string} name @param {string|null} file @param {string} reason
 * @param {Said | null} [said] the reason with its catalog id
 * @returns {WorkerError}
 */
export function workerError(name, file, reason, said = null) {
  const message = file ? `${file}: ${reason}` : reason;
  return { name, file, reason, message, ...(said ? { said } : {}) };
}

/** Names of the start-up steps, in order, as the page shows them. */
export const BOOT_STEPS = /** @type {const} */ ([
  ["runtime", "Loading the Python runtime"],
  ["packages", "Loading numpy and pydicom"],
  ["import", "Starting the DICOM engine"],
]);

/**
 * A JavaScript error (or anything thrown that is not the bridge's) as a WorkerError.
 * Python's errors do not come this way: the bridge keeps them as objects (last_error).
 * @param {unknown} error
 * @returns {WorkerError}
 */
export function toWorkerError(error) {
  if (error instanceof Error) return workerError(error.name, null, error.message);
  return workerError("Error", null, String(error));
}
