// A video series' pictures, decoded in the page by the browser's WebCodecs VideoDecoder from
// the stream the worker hands over (the DICOM's encapsulated Pixel Data; demux.js splits
// it): nothing leaves the page. frame(k) resolves to picture k as RGBA at its own size. The
// decoder runs forward from the last key frame at or before k and keeps going while frames
// are asked in order (playing); a jump elsewhere starts again from a key frame. Decoded
// pictures are kept in a small least-recently-used cache. Pictures are counted as the
// decoder outputs them (presentation order), frame k being the k-th.

import { demuxH264, extension, sniff } from "./demux.js";
import { pageSaid, saidError } from "./engine-text.js";

/** @typedef {import("../rpc/protocol.js").VideoInfo} VideoInfo */
/** @typedef {import("../i18n/i18n.js").Said} Said */
/**
 * Why a video cannot be played here: `reason` in English, `said` with its catalog key.
 * @typedef {{reason: string, said: Said, broken: boolean}} Unplayable
 */

/** @param {Said} said @param {boolean} broken @returns {Unplayable} */
function unplayable(said, broken) {
  return { reason: said.text, said, broken };
}

/** Decoded pictures kept, at most, in bytes (and never fewer than a few pictures). */
const CACHE_BYTES = 192 * 1024 * 1024;
/** Units fed beyond the one asked for: a stream with B-frames outputs a picture only once
 * the later pictures it is predicted from are decoded (and playing finds the next ready). */
const LOOKAHEAD = 3;
/** How long to wait for the decoder to give a picture before feeding more or flushing. */
const OUTPUT_WAIT_MS = 40;

export class VideoStream {
  /**
   * @param {VideoInfo} info what the worker says of the video
   * @param {Uint8Array} bytes the stream
   */
  constructor(info, bytes) {
    this.info = info;
    this.bytes = bytes;
    this.container = sniff(bytes);
    /** what the saved stream is called: the DICOM file's name with the container's extension */
    this.fileName = `${
      info.file
        .split("/")
        .pop()
        ?.replace(/\.dcm$/i, "") || "video"
    }.${extension(this.container, info.codec)}`;
    /** @type {Map<number, ImageData>} decoded pictures by index, least recently used first */
    this.cache = new Map();
    /** @type {import("./demux.js").Demuxed | null} */
    this.demuxed = null;
    /** @type {VideoDecoder | null} */
    this.decoder = null;
    /** the next unit to feed the decoder, and the index its next output picture has */
    this.fed = 0;
    this.nextOut = 0;
    /** @type {(() => void) | null} called when the decoder outputs a picture */
    this.onOutput = null;
    /** @type {Error | null} */
    this.failure = null;
    /** @type {Promise<Unplayable | null> | undefined} */
    this.checked = undefined;
    /** the decoder was flushed: it takes a key frame next, so decoding starts again */
    this.flushed = false;
    /** one request at a time: the decoder is driven by one frame() at once */
    this.busy = Promise.resolve();
    this.canvas = new OffscreenCanvas(info.width, info.height);
    const ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new Error("this browser cannot draw video pictures");
    this.ctx = ctx;
  }

  /**
   * Why the page cannot play this video (checked once, in this browser): null when it can;
   * `broken` when the stream itself cannot be read (saving it would not help); `said` is the
   * reason with its catalog key (the engine's id or the page's), `reason` its English.
   * @returns {Promise<Unplayable | null>}
   */
  unplayable() {
    this.checked ??= this.check();
    return this.checked;
  }

  /** @returns {Promise<Unplayable | null>} */
  async check() {
    if (!this.info.playable) {
      const engine = this.info.reasonSaid ?? (this.info.reason ? { text: this.info.reason } : null);
      return unplayable(engine ?? pageSaid("video.cannot_play"), false);
    }
    if (typeof VideoDecoder === "undefined") return unplayable(pageSaid("video.no_decoder"), false);
    let demuxed;
    try {
      demuxed = this.demux();
    } catch (error) {
      const message = /** @type {{said?: Said}} */ (error).said;
      return unplayable(message ?? { text: String(error) }, true);
    }
    const { supported } = await VideoDecoder.isConfigSupported(this.config(demuxed));
    if (supported) return null;
    return unplayable(pageSaid("video.h264_unsupported", { codec: demuxed.codec }), false);
  }

  demux() {
    if (!this.demuxed) {
      try {
        this.demuxed = demuxH264(this.bytes);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        throw saidError(pageSaid("video.stream_unreadable", { detail }), error);
      }
    }
    return this.demuxed;
  }

  /** Pictures in the stream (Number of Frames, unless the stream holds fewer). */
  get frames() {
    return Math.max(1, Math.min(this.info.frames, this.demux().units.length));
  }

  /** @param {import("./demux.js").Demuxed} demuxed @returns {VideoDecoderConfig} */
  config(demuxed) {
    return {
      codec: demuxed.codec,
      ...(demuxed.description ? { description: demuxed.description } : {}),
      optimizeForLatency: true,
    };
  }

  /**
   * Picture k as RGBA (one request at a time, in order of asking).
   * @param {number} k
   * @returns {Promise<ImageData>}
   */
  frame(k) {
    const next = this.busy.then(() => this.decodeTo(k));
    this.busy = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  /** @param {number} k */
  async decodeTo(k) {
    const index = Math.min(Math.max(0, Math.trunc(k)), this.frames - 1);
    const hit = this.cache.get(index);
    if (hit) {
      this.cache.delete(index);
      this.cache.set(index, hit);
      return hit;
    }
    const { units } = this.demux();
    const key = this.keyAtOrBefore(index);
    const stale = !this.decoder || this.failure || this.flushed;
    if (stale || index < this.nextOut || key > this.fed) this.restart(key);
    const decoder = /** @type {VideoDecoder} */ (this.decoder);
    while (!this.cache.has(index)) {
      if (this.failure) throw this.failure;
      if (this.fed < units.length && this.fed <= index + LOOKAHEAD) {
        this.feed(decoder, units);
        continue;
      }
      if (!(await this.outputWithin(OUTPUT_WAIT_MS)) && !this.cache.has(index)) {
        if (this.fed < units.length) this.feed(decoder, units);
        else {
          await decoder.flush().catch(() => {});
          this.flushed = true;
          if (this.failure) throw this.failure;
          if (!this.cache.has(index)) break;
        }
      }
    }
    const found = this.cache.get(index) ?? this.cache.get(this.lastCached());
    if (!found) throw saidError(pageSaid("video.picture_undecodable", { number: index + 1 }));
    return found;
  }

  /** @param {VideoDecoder} decoder @param {import("./demux.js").Unit[]} units */
  feed(decoder, units) {
    const unit = units[this.fed];
    const frameTime = this.info.frameTime * 1000; // microseconds
    decoder.decode(
      new EncodedVideoChunk({
        type: unit.key ? "key" : "delta",
        timestamp: Math.round(this.fed * frameTime),
        data: unit.data,
      }),
    );
    this.fed += 1;
  }

  /** @param {number} index */
  keyAtOrBefore(index) {
    const { units } = this.demux();
    for (let i = Math.min(index, units.length - 1); i > 0; i -= 1) if (units[i].key) return i;
    return 0;
  }

  lastCached() {
    return Math.max(-1, ...this.cache.keys());
  }

  /** Start decoding at unit `key` with a new decoder. @param {number} key */
  restart(key) {
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.failure = null;
    const demuxed = this.demux();
    const decoder = new VideoDecoder({
      output: (picture) => this.take(picture),
      error: (error) => {
        this.failure = saidError(pageSaid("video.undecodable", { detail: error.message }));
        this.onOutput?.();
      },
    });
    decoder.configure(this.config(demuxed));
    this.decoder = decoder;
    this.fed = key;
    this.nextOut = key;
    this.flushed = false;
  }

  /** A decoded picture: drawn at its display size, read back as RGBA, cached. @param {VideoFrame} picture */
  take(picture) {
    try {
      const width = picture.displayWidth;
      const height = picture.displayHeight;
      if (this.canvas.width !== width || this.canvas.height !== height) {
        this.canvas.width = width;
        this.canvas.height = height;
      }
      this.ctx.drawImage(picture, 0, 0, width, height);
      this.remember(this.nextOut, this.ctx.getImageData(0, 0, width, height));
    } finally {
      picture.close();
      this.nextOut += 1;
      this.onOutput?.();
    }
  }

  /** @param {number} index @param {ImageData} image */
  remember(index, image) {
    this.cache.delete(index);
    this.cache.set(index, image);
    const most = Math.max(4, Math.floor(CACHE_BYTES / image.data.byteLength));
    while (this.cache.size > most) this.cache.delete(this.cache.keys().next().value ?? 0);
  }

  /** Resolves true when a picture comes out within `ms`, false otherwise. @param {number} ms */
  outputWithin(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onOutput = null;
        resolve(false);
      }, ms);
      this.onOutput = () => {
        clearTimeout(timer);
        this.onOutput = null;
        resolve(true);
      };
    });
  }

  /**
   * Picture `frame` as a render of the worker would be: `{info, pixels}`, the info with the
   * on-image information record (`view`, calibration included) and the file's warnings.
   * Rejects naming the file when the picture cannot be decoded.
   * @param {number} series @param {number} frame
   */
  async rendered(series, frame) {
    const { info } = this;
    const image = await this.frame(frame).catch((error) => {
      const message = /** @type {{said?: Said}} */ (error).said;
      const reason = {
        said: message ?? { text: error instanceof Error ? error.message : String(error) },
      };
      throw saidError(pageSaid("engine.file_reason", { file: info.file, reason }), error);
    });
    return {
      info: {
        series,
        frame,
        frames: info.frames,
        width: image.width,
        height: image.height,
        step: 1,
        file: info.file,
        photometric: "RGB",
        windows: [],
        windowCenter: null,
        windowWidth: null,
        windowSource: "none (video)",
        decoder: "WebCodecs",
        transferSyntax: info.transferSyntax,
        view: info.view,
        warning: info.warnings.length ? `${info.file}: ${info.warnings.join("; ")}` : undefined,
        warningsSaid: info.warningsSaid ?? info.warnings.map((text) => ({ text })),
      },
      pixels: image.data.buffer,
    };
  }

  /** A blob URL of the stream as a file (on this origin: saving never leaves the page). */
  saveUrl() {
    const type = this.container === "mp4" ? "video/mp4" : "application/octet-stream";
    return URL.createObjectURL(new Blob([this.bytes], { type }));
  }

  close() {
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.cache.clear();
  }
}

/** @type {Map<string, Promise<VideoStream>>} each open video's stream, by series uid */
const streams = new Map();

/**
 * The stream of video series `series` (asked of the worker once, kept by its uid).
 * @param {import("../rpc/client.js").Client} client @param {number} series @param {string} uid
 * @returns {Promise<VideoStream>}
 */
export function videoStream(client, series, uid) {
  let found = streams.get(uid);
  if (!found) {
    found = client
      .call("video", { series })
      .then(({ info, stream }) => new VideoStream(info, new Uint8Array(stream)));
    found.catch(() => streams.delete(uid)); // asked again next time
    streams.set(uid, found);
  }
  return found;
}

/** Forget every stream (everything was closed). */
export function forgetVideos() {
  for (const found of streams.values()) found.then((s) => s.close()).catch(() => {});
  streams.clear();
}
