// Studies kept on this device (issue 18 item 3), only when the user chooses so: the files
// as they were opened, in this origin's own storage in the browser, the Origin Private File
// System (navigator.storage.getDirectory) or IndexedDB where the OPFS cannot be written
// from the page. Nothing here makes a request: the files never reach the network, and the
// service worker never sees them (it only answers fetches of the app's own files).
//
// A study is kept as a record (what the start screen lists) and its files. The record is
// written last and deleted first, so a save cut short (the tab closed, the disk full) leaves
// files no record lists, which the next listing removes, never a record without its files.

/**
 * What the start screen lists of a kept study: `date` the study date as DICOM writes it
 * (YYYYMMDD, or "" when the files have none), `bytes` the size of its files, `names` their
 * names as opened (a folder's relative paths), `kept` when (ISO 8601).
 * @typedef {{id: string, patient: string, study: string, date: string, files: number,
 *            bytes: number, names: string[], kept: string}} KeptRecord
 * @typedef {{list: () => Promise<KeptRecord[]>,
 *            save: (record: KeptRecord, files: File[]) => Promise<void>,
 *            files: (id: string) => Promise<File[]>,
 *            remove: (id: string) => Promise<void>,
 *            kind: "opfs" | "indexeddb"}} Backend
 */

const FOLDER = "lightbox-kept";
const RECORD = "study.json";
const DATABASE = "lightbox-kept";

/** @param {number} index @returns {string} the stored name of a study's file number `index` */
const stored = (index) => `file-${String(index).padStart(6, "0")}`;

/** @param {unknown} error @returns {boolean} */
const notFound = (error) => error instanceof DOMException && error.name === "NotFoundError";

/**
 * The storage this browser offers: the OPFS where files can be written from the page
 * (`createWritable`), else IndexedDB; null when neither is there.
 * @returns {Promise<Backend | null>}
 */
export async function openStore() {
  const writable =
    typeof FileSystemFileHandle !== "undefined" &&
    "createWritable" in FileSystemFileHandle.prototype;
  if (writable && typeof navigator.storage?.getDirectory === "function") {
    try {
      const root = await navigator.storage.getDirectory();
      return opfs(await root.getDirectoryHandle(FOLDER, { create: true }));
    } catch {
      // The OPFS refused (a private window may): IndexedDB below.
    }
  }
  if (typeof indexedDB === "undefined") return null;
  return indexedDb(await database());
}

/**
 * Ask the browser to keep this origin's storage under storage pressure (it may say no).
 * @returns {Promise<boolean>} whether it is persisted
 */
export async function persist() {
  try {
    return (await navigator.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}

/** A fresh id for a kept study. */
export function newId() {
  return crypto.randomUUID();
}

/** @param {FileSystemDirectoryHandle} folder @returns {Backend} */
function opfs(folder) {
  /** @type {Set<string>} studies being saved: their record is not written yet */
  const saving = new Set();
  /** @param {FileSystemDirectoryHandle} dir @param {string} name @param {Blob} blob */
  async function write(dir, name, blob) {
    const handle = await dir.getFileHandle(name, { create: true });
    const out = await handle.createWritable();
    try {
      await out.write(blob);
      await out.close();
    } catch (error) {
      await out.abort().catch(() => {});
      throw error;
    }
  }
  return {
    kind: "opfs",
    async list() {
      /** @type {KeptRecord[]} */
      const records = [];
      /** @type {string[]} */
      const orphans = [];
      // @ts-ignore: TypeScript's DOM types lack the async iterator of a directory handle
      for await (const [name, handle] of folder.entries()) {
        if (handle.kind !== "directory") continue;
        try {
          const file = await (await handle.getFileHandle(RECORD)).getFile();
          records.push(JSON.parse(await file.text()));
        } catch (error) {
          if (notFound(error)) orphans.push(name);
        }
      }
      for (const name of orphans) {
        if (!saving.has(name)) await folder.removeEntry(name, { recursive: true });
      }
      return records;
    },
    async save(record, files) {
      saving.add(record.id);
      const dir = await folder.getDirectoryHandle(record.id, { create: true });
      try {
        for (const [i, file] of files.entries()) await write(dir, stored(i), file);
        await write(dir, RECORD, new Blob([JSON.stringify(record)], { type: "application/json" }));
      } catch (error) {
        await folder.removeEntry(record.id, { recursive: true }).catch(() => {});
        throw error;
      } finally {
        saving.delete(record.id);
      }
    },
    async files(id) {
      const dir = await folder.getDirectoryHandle(id);
      const record = JSON.parse(await (await (await dir.getFileHandle(RECORD)).getFile()).text());
      return Promise.all(
        record.names.map(async (/** @type {string} */ name, /** @type {number} */ i) => {
          const file = await (await dir.getFileHandle(stored(i))).getFile();
          return new File([file], name);
        }),
      );
    },
    async remove(id) {
      try {
        const dir = await folder.getDirectoryHandle(id);
        await dir.removeEntry(RECORD).catch(() => {});
        await folder.removeEntry(id, { recursive: true });
      } catch (error) {
        if (!notFound(error)) throw error;
      }
    },
  };
}

/** @returns {Promise<IDBDatabase>} the database of kept studies, created on first use */
function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("studies", { keyPath: "id" });
      request.result.createObjectStore("files");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * One IndexedDB transaction: `work` queues its requests; resolves with what `work`
 * returned (its requests' results are read after completion).
 * @template T
 * @param {IDBDatabase} db @param {string[]} stores @param {IDBTransactionMode} mode
 * @param {(tx: IDBTransaction) => T} work
 * @returns {Promise<T>}
 */
function transaction(db, stores, mode, work) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    const result = work(tx);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("the browser's storage refused"));
  });
}

/** @param {IDBDatabase} db @returns {Backend} */
function indexedDb(db) {
  /** @param {string} id @param {number} i */
  const key = (id, i) => `${id}/${stored(i)}`;
  return {
    kind: "indexeddb",
    async list() {
      const request = await transaction(db, ["studies"], "readonly", (tx) =>
        tx.objectStore("studies").getAll(),
      );
      return /** @type {KeptRecord[]} */ (request.result);
    },
    async save(record, files) {
      // Blobs are copied into the database as they are put; the record goes in last.
      for (const [i, file] of files.entries()) {
        await transaction(db, ["files"], "readwrite", (tx) =>
          tx.objectStore("files").put(file, key(record.id, i)),
        );
      }
      await transaction(db, ["studies"], "readwrite", (tx) =>
        tx.objectStore("studies").put(record),
      );
    },
    async files(id) {
      const got = await transaction(db, ["studies"], "readonly", (tx) =>
        tx.objectStore("studies").get(id),
      );
      /** @type {KeptRecord | undefined} */
      const record = got.result;
      if (!record) throw new Error("this study is no longer kept on this device");
      const requests = await transaction(db, ["files"], "readonly", (tx) =>
        record.names.map((_, i) => tx.objectStore("files").get(key(id, i))),
      );
      return requests.map((r, i) => new File([/** @type {Blob} */ (r.result)], record.names[i]));
    },
    async remove(id) {
      await transaction(db, ["studies", "files"], "readwrite", (tx) => {
        tx.objectStore("studies").delete(id);
        tx.objectStore("files").delete(IDBKeyRange.bound(`${id}/`, `${id}/\uffff`));
      });
    },
  };
}
