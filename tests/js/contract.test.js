// The page-worker contract in one place: the methods protocol.js declares are exactly the
// ones the worker's dispatch table serves, every bridge function the worker calls exists
// in lightbox/browser/bridge.py, the bridge has no function the worker never calls, and
// every bridge function keeps its error for last_error().
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import ts from "typescript";

const read = (/** @type {string} */ rel) =>
  readFileSync(new URL(`../../${rel}`, import.meta.url), "utf8");

/** The keys of the `Methods` typedef in protocol.js. */
function declaredMethods() {
  const text = read("web/js/rpc/protocol.js");
  const end = text.indexOf("}} Methods");
  const start = text.lastIndexOf("@typedef {{", end);
  assert.ok(start >= 0 && end > start, "protocol.js declares a Methods typedef");
  const body = text.slice(start, end);
  return [...body.matchAll(/^\s*\*\s{3}(\w+): \{args:/gm)].map((m) => m[1]).sort();
}

/**
 * The worker's dispatch table: each method and the bridge functions its handler calls.
 * @returns {Map<string, string[]>}
 */
function dispatchTable() {
  const file = "web/js/worker/worker.js";
  const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, true);
  /** @type {Map<string, string[]>} */
  const table = new Map();
  /** @param {ts.Node} node @param {string[]} calls */
  const bridgeCalls = (node, calls) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.expression.getText() === "bridge"
    )
      calls.push(node.expression.name.text);
    ts.forEachChild(node, (child) => {
      bridgeCalls(child, calls); // forEachChild stops at a truthy return: return nothing
    });
    return calls;
  };
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (
      ts.isVariableDeclaration(node) &&
      node.name.getText() === "methods" &&
      node.initializer &&
      ts.isObjectLiteralExpression(node.initializer)
    ) {
      for (const property of node.initializer.properties)
        table.set(property.name?.getText() ?? "?", bridgeCalls(property, []));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return table;
}

/** The bridge's public functions, and whether each is wrapped by @_guarded. */
function bridgeFunctions() {
  const text = read("py/lightbox/browser/bridge.py");
  return [...text.matchAll(/^((?:@\w+\n)*)def ([a-z]\w*)\(/gm)].map((m) => ({
    name: m[2],
    guarded: m[1].includes("@_guarded"),
  }));
}

test("the worker serves exactly the methods the protocol declares", () => {
  const declared = declaredMethods();
  assert.ok(declared.length >= 15, `only ${declared.length} methods declared`);
  assert.deepEqual([...dispatchTable().keys()].sort(), declared);
});

test("every bridge function the worker calls exists, and none is left uncalled", () => {
  const bridge = new Set(bridgeFunctions().map((f) => f.name));
  const called = new Set([...dispatchTable().values()].flat());
  called.add("last_error"); // called on a failure, outside the table
  const missing = [...called].filter((name) => !bridge.has(name));
  assert.deepEqual(missing, [], `the worker calls bridge functions that do not exist`);
  const unused = [...bridge].filter((name) => !called.has(name));
  assert.deepEqual(unused, [], `bridge functions no one calls (dead code)`);
});

test("every bridge function keeps its error as an object for the page", () => {
  const unguarded = bridgeFunctions()
    .filter((f) => !f.guarded && f.name !== "last_error")
    .map((f) => f.name);
  assert.deepEqual(unguarded, []);
});
