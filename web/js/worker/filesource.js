// A dropped file read a range at a time (issue 15 item 2): Python reads a slide's header,
// its tile offsets, then each tile it shows, never the whole file. In a worker
// FileReaderSync reads a Blob synchronously, so Python calls read() as a plain function.
// Kept general ("a byte source": size and read(offset, length)) for the reliability issue.

/**
 * @typedef {{byteSource: true, size: number, read: (offset: number, length: number) =>
 *   Uint8Array, reads: () => number}} ByteSource
 */

/**
 * @param {Blob} file
 * @returns {ByteSource}
 */
export function fileSource(file) {
  const reader = new FileReaderSync();
  let count = 0;
  return {
    byteSource: true,
    size: file.size,
    read(offset, length) {
      count += 1;
      const end = Math.min(file.size, offset + length);
      return new Uint8Array(reader.readAsArrayBuffer(file.slice(offset, end)));
    },
    reads: () => count,
  };
}
