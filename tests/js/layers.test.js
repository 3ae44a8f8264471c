// The layers of web/js, enforced: every import of every module (static, dynamic, and the
// JSDoc type imports `import("…").Name`) is parsed with TypeScript's parser, resolved, and
// checked against the rule table below; module imports must not form a cycle.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../../web/js/", import.meta.url));

/**
 * The layers, one folder of web/js each, and what each may import besides its own folder.
 * `imports`: folders (or single files, "folder/file.js") whose modules it may run;
 * `types`: what it may name in JSDoc types only (`import("…").Name`), on top of `imports`.
 *
 *   page ──► viewer, kiosk, offline, deid ──► rpc          worker ──► rpc/protocol.js
 *   page, viewer, deid ──► i18n
 *
 * - page: the DOM wiring of index.html, the top; nothing imports it.
 * - viewer: viewports and the pure interaction math; it talks to the worker only through
 *   the Client its page hands it, so it names rpc's types but runs none of rpc's code.
 * - kiosk, offline, deid: features the page switches on; they may use rpc and viewer,
 *   never the page (they get what they need from it as arguments).
 * - worker: runs in the Web Worker, not the page: only the protocol is shared with it.
 * - i18n: the message catalogs and the lookup (t, Intl formatting, the DOM helpers that
 *   keep a key on the element): the bottom beside rpc; it imports nothing else.
 * - rpc: the contract and the Promise client, the bottom (start.js, which creates the
 *   worker, lives here too; it names worker/worker.js as a URL, not as an import).
 * @type {Record<string, {imports: string[], types: string[]}>}
 */
const LAYERS = {
  page: { imports: ["viewer", "rpc", "kiosk", "offline", "deid", "keep", "i18n"], types: [] },
  viewer: { imports: ["i18n"], types: ["rpc"] },
  kiosk: { imports: ["rpc", "viewer"], types: [] },
  offline: { imports: ["rpc", "viewer"], types: [] },
  deid: { imports: ["rpc", "viewer", "i18n"], types: [] },
  keep: { imports: [], types: [] },
  worker: { imports: ["rpc/protocol.js"], types: [] },
  rpc: { imports: [], types: [] },
  i18n: { imports: [], types: [] },
};

/** Imports that leave web/js on purpose: served beside the app at run time. */
const OUTSIDE = new Set(["pyodide/pyodide.mjs"]);

/** @param {string} dir @returns {string[]} every .js file under dir, relative to ROOT */
function modules(dir = ROOT) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return modules(full);
    return entry.name.endsWith(".js") ? [path.relative(ROOT, full).split(path.sep).join("/")] : [];
  });
}

/**
 * @typedef {{specifier: string, kind: "import" | "type", line: number}} Import
 */

/**
 * Every import of a module: static and dynamic ones whose specifier is a string literal
 * (kind "import"), and JSDoc type imports (kind "type").
 * @param {string} file relative to ROOT
 * @returns {Import[]}
 */
function importsOf(file) {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(ROOT, file), "utf8"),
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.JS,
  );
  /** @type {Import[]} */
  const found = [];
  /** @param {ts.Node} node @param {"import" | "type"} kind @param {string} specifier */
  const add = (node, kind, specifier) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ specifier, kind, line });
  };
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node, "import", node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node, "import", node.arguments[0].text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node, "type", node.argument.literal.text);
    }
    // JSDoc is not among a node's children: visit it too.
    for (const doc of /** @type {{jsDoc?: ts.Node[]}} */ (node).jsDoc ?? []) visit(doc);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** @param {string} file relative to ROOT */
function layerOf(file) {
  return file.includes("/") ? file.slice(0, file.indexOf("/")) : "";
}

/**
 * Why `from` may not import `to` (null when it may).
 * @param {string} from @param {string} to both relative to ROOT @param {"import" | "type"} kind
 * @returns {string | null}
 */
function violation(from, to, kind) {
  const source = layerOf(from);
  const target = layerOf(to);
  if (source === target) return null;
  const rule = LAYERS[source];
  const allowed = kind === "type" ? [...rule.imports, ...rule.types] : rule.imports;
  if (allowed.some((entry) => entry === target || entry === to)) return null;
  const typesOnly = rule.types.some((entry) => entry === target || entry === to);
  const what = typesOnly
    ? `may name ${target}'s types but not run its code`
    : `may not import ${target}`;
  const may = rule.imports.length ? rule.imports.join(", ") : "nothing outside itself";
  return `${source} ${what} (${source} may import: ${may}${rule.types.length ? `; types of ${rule.types.join(", ")}` : ""})`;
}

const FILES = modules();

/** @type {Map<string, (Import & {target: string})[]>} every module's imports, resolved */
const GRAPH = new Map(
  FILES.map((file) => [
    file,
    importsOf(file)
      .filter(({ specifier }) => specifier.startsWith("."))
      .map((entry) => ({
        ...entry,
        target: path.posix.normalize(path.posix.join(path.posix.dirname(file), entry.specifier)),
      })),
  ]),
);

test("every module of web/js is in a layer", () => {
  const loose = FILES.filter((file) => !(layerOf(file) in LAYERS));
  assert.deepEqual(loose, [], `modules outside the layers ${Object.keys(LAYERS).join(", ")}`);
});

test("the parser sees every kind of import (a test of this test)", () => {
  const imports = GRAPH.get("worker/codecs.js") ?? [];
  assert.ok(
    imports.some((i) => i.kind === "import" && i.target === "worker/jpeg.js"),
    "dynamic import()",
  );
  const worker = GRAPH.get("worker/worker.js") ?? [];
  assert.ok(
    worker.some((i) => i.kind === "import" && i.target === "rpc/protocol.js"),
    "static import",
  );
  assert.ok(
    worker.some((i) => i.kind === "type" && i.target === "rpc/protocol.js"),
    "JSDoc type import",
  );
});

test("every relative import names a module that exists", () => {
  const missing = [];
  for (const [file, imports] of GRAPH) {
    for (const { specifier, target, line } of imports) {
      if (OUTSIDE.has(target.replace(/^(\.\.\/)+/, ""))) continue;
      if (target.startsWith("..") || !existsSync(path.join(ROOT, target))) {
        missing.push(
          `web/js/${file}:${line} imports ${specifier}, which is not a module of web/js`,
        );
      }
    }
  }
  assert.deepEqual(missing, []);
});

test("imports run down the layers, never back up", () => {
  const wrong = [];
  for (const [file, imports] of GRAPH) {
    for (const { specifier, target, kind, line } of imports) {
      if (!(layerOf(target) in LAYERS)) continue; // outside web/js: the test above
      const why = violation(file, target, kind);
      if (why) wrong.push(`web/js/${file}:${line} ${kind}s ${specifier}: ${why}`);
    }
  }
  assert.deepEqual(wrong, [], `\n${wrong.join("\n")}\n`);
});

test("no import cycles", () => {
  /** @type {Map<string, "active" | "done">} */
  const state = new Map();
  /** @type {string[][]} */
  const cycles = [];
  /** @param {string} file @param {string[]} trail */
  const walk = (file, trail) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "active") {
      cycles.push([...trail.slice(trail.indexOf(file)), file]);
      return;
    }
    state.set(file, "active");
    for (const { target, kind } of GRAPH.get(file) ?? []) {
      // Type imports are erased: they cannot make modules wait for each other.
      if (kind === "import" && GRAPH.has(target)) walk(target, [...trail, file]);
    }
    state.set(file, "done");
  };
  for (const file of FILES) walk(file, []);
  assert.deepEqual(
    cycles.map((cycle) => cycle.join(" → ")),
    [],
  );
});
