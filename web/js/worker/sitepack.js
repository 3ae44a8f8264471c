// The site pack: numpy, pydicom and lightbox in one file (tools/build.py write_pack).
// Layout, gzip-compressed as a whole: the magic "LBPK1\n", a 4-byte little-endian
// length, a JSON list of [path, size], then the files' bytes back to back. The worker
// fetches it while the runtime boots and writes it into the virtual file system.

/** @typedef {{path: string, bytes: Uint8Array}} PackFile */

export const PACK_MAGIC = "LBPK1\n";

/**
 * Fetch a file and undo its gzip (if it has one). On this thread, as the fallback.
 * @param {string} url
 * @returns {Promise<Uint8Array>}
 */
async function fetchGunzipHere(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// The same steps for a helper thread (a worker from a blob: URL inherits this one's policy).
const HELPER_SOURCE = `onmessage = async (event) => {
  try {
    const bytes = await (${fetchGunzipHere.toString()})(event.data);
    postMessage({ bytes }, [bytes.buffer]);
  } catch (error) {
    postMessage({ error: String(error && error.message || error) });
  }
};`;

/**
 * Fetch and decompress on a helper thread. This thread is busy starting the runtime for
 * seconds at a time, and the body of a fetch made here (then its decompression) is only
 * read when it is free: measured, the pack arrived 130-190 ms after the runtime. The
 * helper's one message is waiting when it is. Where a worker cannot start a worker, the
 * work is done here.
 * @param {string} url absolute
 * @returns {Promise<Uint8Array>}
 */
function fetchGunzip(url) {
  if (typeof Worker !== "function") return fetchGunzipHere(url);
  return new Promise((resolve, reject) => {
    const source = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: "text/javascript" }));
    const helper = new Worker(source);
    const done = () => {
      helper.terminate();
      URL.revokeObjectURL(source);
    };
    helper.onmessage = (event) => {
      done();
      if (event.data.error !== undefined) reject(new Error(event.data.error));
      else resolve(event.data.bytes);
    };
    helper.onerror = (event) => {
      event.preventDefault();
      done();
      reject(new Error(event.message || "the download helper failed"));
    };
    helper.postMessage(url);
  });
}

/**
 * The site pack, fetched and decompressed on a helper thread; a host that already undid
 * the gzip (Content-Encoding) hands over the plain pack, which is taken as it is.
 * @param {string} url absolute
 * @param {string} name what error messages call it
 * @returns {Promise<PackFile[]>}
 */
export async function fetchPack(url, name) {
  let bytes;
  try {
    bytes = await fetchGunzip(url);
  } catch (error) {
    const reason = error instanceof Error ? error.message : error;
    throw new Error(`${name}: ${reason}`, { cause: error });
  }
  return parsePack(bytes, name);
}

/**
 * The files of a decompressed pack, as views of its bytes.
 * @param {Uint8Array} bytes
 * @param {string} name what error messages call it
 * @returns {PackFile[]}
 */
export function parsePack(bytes, name) {
  const magic = new TextDecoder().decode(bytes.subarray(0, PACK_MAGIC.length));
  if (magic !== PACK_MAGIC) throw new Error(`${name}: not a Lightbox site pack`);
  const at = PACK_MAGIC.length;
  const size = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true);
  /** @type {[string, number][]} */
  const index = JSON.parse(new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + size)));
  let offset = at + 4 + size;
  const files = index.map(([path, length]) => {
    const entry = { path, bytes: bytes.subarray(offset, offset + length) };
    offset += length;
    return entry;
  });
  if (offset !== bytes.length)
    throw new Error(`${name}: the pack's index does not match its contents`);
  return files;
}

/**
 * Write the pack's files under site-packages (directories made once each).
 * @param {any} FS Pyodide's file system
 * @param {PackFile[]} files
 */
export function install(FS, files) {
  const root = "/lib/python3.12/site-packages/";
  const made = new Set();
  for (const { path, bytes } of files) {
    const dir = root + path.slice(0, path.lastIndexOf("/") + 1);
    if (!made.has(dir)) {
      FS.mkdirTree(dir);
      made.add(dir);
    }
    FS.writeFile(root + path, bytes);
  }
}
