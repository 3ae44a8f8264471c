// ESLint: the mistakes that tsc (jsconfig.json) does not catch. Layout is Prettier's
// (.prettierrc.json5): no formatting rule is switched on here, so the two never disagree.
import js from "@eslint/js";
import globals from "globals";

export default [
  // Not ours or not source: the built site (copies of web/ and of npm's codecs), the
  // packages, the Python environment and test output.
  { ignores: ["build/", "node_modules/", ".venv/", "test-results/", "bench-results/"] },

  // ESLint's recommended rules: undefined and unused names, unreachable code, duplicate
  // keys and cases, assignments in conditions, and the like. Each is a real bug here.
  js.configs.recommended,

  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    linterOptions: {
      // An eslint-disable comment that no longer disables anything is an error: it would
      // hide the next real finding on that line.
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      // == coerces ("1" == 1, null == undefined): always say which comparison is meant.
      eqeqeq: ["error", "always"],
      // Bindings that never change are const, so the ones that do stand out.
      "prefer-const": "error",
      // var is function-scoped and hoisted: let and const only.
      "no-var": "error",
      // A Promise executor that is async loses its own exceptions.
      "no-async-promise-executor": "error",
      // Unused variables are errors, except a caught error that is not looked at (the
      // code says why in a comment) and arguments before one that is used (callbacks
      // keep their signature).
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
    },
  },

  // The page and what runs in it: the browser's globals.
  {
    files: ["web/js/{page,viewer,rpc,kiosk,offline,deid,keep,i18n}/**/*.js", "tools/dwv_page/*.js"],
    languageOptions: { globals: globals.browser },
  },
  // The Web Worker (Pyodide, the codecs): a worker's globals, no DOM.
  {
    files: ["web/js/worker/**/*.js"],
    languageOptions: { globals: globals.worker },
  },
  // The service worker: a classic script (not a module) with the service worker's globals.
  {
    files: ["web/sw.js"],
    languageOptions: { sourceType: "script", globals: globals.serviceworker },
  },
  // The Node tests (node --test) and the Node tools: Node's globals.
  {
    files: ["tests/**/*.js", "tests/**/*.mjs", "tools/**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
];
