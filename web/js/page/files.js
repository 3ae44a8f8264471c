// Files in and out of the page: dropped items to File objects, folders walked recursively
// (File and Directory Entries API), and a Blob saved as a download.

/**
 * @param {DataTransfer} transfer
 * @returns {Promise<File[]>}
 */
export async function collectDropped(transfer) {
  const entries = [];
  for (const item of Array.from(transfer.items ?? [])) {
    const entry =
      item.kind === "file" && typeof item.webkitGetAsEntry === "function"
        ? item.webkitGetAsEntry()
        : null;
    if (entry) entries.push(entry);
  }
  if (!entries.length) return Array.from(transfer.files ?? []);
  /** @type {File[]} */
  const files = [];
  for (const entry of entries) await walk(entry, "", files);
  return files;
}

/**
 * @param {FileSystemEntry} entry
 * @param {string} prefix
 * @param {File[]} out
 */
async function walk(entry, prefix, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) =>
      /** @type {FileSystemFileEntry} */ (entry).file(resolve, reject),
    );
    // Keep the relative path as the name, so DICOMDIR references can be resolved.
    out.push(new File([file], prefix + entry.name, { lastModified: file.lastModified }));
    return;
  }
  if (!entry.isDirectory) return;
  const reader = /** @type {FileSystemDirectoryEntry} */ (entry).createReader();
  for (;;) {
    /** @type {FileSystemEntry[]} */
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break; // readEntries returns at most ~100 at a time
    for (const child of batch) await walk(child, `${prefix}${entry.name}/`, out);
  }
}

/** Save a Blob as a file in the browser's downloads. @param {Blob} blob @param {string} name */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
