// Compile a zip of Python sources to .pyc inside Pyodide (build time, under Node).
// usage: node tools/precompile.mjs <in.zip> <out.zip> [<where it is imported from>]
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const here = dirname(fileURLToPath(import.meta.url));
const [source, target, where] = process.argv.slice(2);
// A fixed hash seed: sets and frozensets in the bytecode keep one order, build after build.
const pyodide = await loadPyodide({ env: { PYTHONHASHSEED: "0", HOME: "/home/pyodide" } });
pyodide.FS.writeFile("/tmp/in.zip", await readFile(source));
pyodide.runPython(await readFile(join(here, "precompile.py"), "utf8"));
const args = ["/tmp/in.zip", "/tmp/out.zip", ...(where ? [where] : [])];
pyodide.globals.get("precompile")(...args);
await writeFile(target, pyodide.FS.readFile("/tmp/out.zip"));
