// Compile a zip of Python sources to .pyc inside Pyodide (build time, under Node).
// usage: node tools/precompile.mjs <in.zip> <out.zip>
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const here = dirname(fileURLToPath(import.meta.url));
const [source, target] = process.argv.slice(2);
const pyodide = await loadPyodide();
pyodide.FS.writeFile("/tmp/in.zip", await readFile(source));
pyodide.runPython(await readFile(join(here, "precompile.py"), "utf8"));
pyodide.globals.get("precompile")("/tmp/in.zip", "/tmp/out.zip");
await writeFile(target, pyodide.FS.readFile("/tmp/out.zip"));
