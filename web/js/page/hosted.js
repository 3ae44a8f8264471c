// The demo the build ships (demo/) and teaching cases published next to the app
// (`?case=`): fetched here, opened as a demo (open.js: the user's own files replace it).
import { setStatus } from "./app.js";
import { client } from "./engine.js";
import { openAsDemo } from "./open.js";
import { t } from "../i18n/i18n.js";

/** The synthetic demo study the build writes into demo/. */
export function openDemo() {
  return openAsDemo(demoFiles, t("hosted.demo"));
}

async function demoFiles() {
  const base = new URL("demo/", document.baseURI);
  const index = await (await fetch(new URL("index.json", base))).json();
  return Promise.all(
    index.files.map(async (/** @type {string} */ name) => {
      const response = await fetch(new URL(name, base));
      if (!response.ok) throw new Error(`demo file ${name}: HTTP ${response.status}`);
      return new File([await response.blob()], name);
    }),
  );
}

/**
 * Open a teaching case published next to the app: `?case=<relative URL>` of a .zip,
 * or of a folder holding a DICOMDIR. Only this origin: anything else is refused.
 * @param {string} reference
 */
export function openCase(reference) {
  return openAsDemo(() => caseFiles(reference), t("hosted.case"));
}

/** @param {string} reference @returns {Promise<File[]>} */
async function caseFiles(reference) {
  const url = new URL(reference, document.baseURI);
  if (url.origin !== location.origin) {
    throw new Error(t("hosted.foreign", { reference, origin: url.origin }));
  }
  /** @param {URL} where */
  const fetchFile = async (where) => {
    const response = await fetch(where);
    if (!response.ok) {
      throw new Error(
        t("hosted.failed", { path: where.pathname, status: String(response.status) }),
      );
    }
    const name = decodeURIComponent(where.pathname.split("/").pop() ?? "case");
    return new File([await response.blob()], name);
  };
  setStatus({ key: "hosted.loading", params: { reference } });
  if (!url.pathname.endsWith("/")) return [await fetchFile(url)];
  const dicomdirFile = await fetchFile(new URL("DICOMDIR", url));
  const buffer = await dicomdirFile.arrayBuffer();
  await client.ready;
  /** @type {string[]} */
  const paths = await client.call("dicomdirFiles", { path: "DICOMDIR", buffer });
  const files = await Promise.all(
    paths.map(async (path) => {
      const relative = path.split("/").map(encodeURIComponent).join("/");
      const file = await fetchFile(new URL(relative, url));
      return new File([file], path); // keep the relative path the DICOMDIR refers to
    }),
  );
  return [new File([buffer], "DICOMDIR"), ...files];
}
