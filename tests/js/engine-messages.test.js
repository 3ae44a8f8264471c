// The Python engine's messages in the page's languages (issue 18 item 4): every id the engine
// can say (py/lightbox/core/messages.json, the registry lightbox.core.messages.say reads and
// refuses any other id by) is in every catalog, English word for word as the engine writes
// it; the page shows the catalog's text with the message's values, else the engine's English.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import en from "../../web/js/i18n/en.js";
import { LANGUAGES, loadCatalog, said, t, useLanguage } from "../../web/js/i18n/i18n.js";

/** @type {Record<string, string>} id (a plural's `<id>.one`, `<id>.other`) → English */
const REGISTRY = JSON.parse(
  readFileSync(new URL("../../py/lightbox/core/messages.json", import.meta.url), "utf8"),
);
/** Engine texts a language writes as English does (French "absent"; "bytes", "GiB"; " > "). */
const SAME_AS_ENGLISH = /** @type {Record<string, string[]>} */ ({
  de: ["engine.gib", "engine.mib", "engine.path_step"],
  fr: ["engine.absent", "engine.fragment", "engine.path_step"],
  es: [
    "engine.bytes.one",
    "engine.bytes.other",
    "engine.bytes_mib",
    "engine.bytes_gib",
    "engine.gib",
    "engine.mib",
    "engine.path_step",
  ],
  ar: ["engine.gib", "engine.mib", "engine.path_step"],
});
const CODES = /** @type {(keyof typeof LANGUAGES)[]} */ (Object.keys(LANGUAGES));

test("the registry is not empty and its ids are the engine's (engine.*)", () => {
  assert.ok(Object.keys(REGISTRY).length >= 40);
  for (const key of Object.keys(REGISTRY)) assert.match(key, /^engine\.[a-z_]+(\.one|\.other)?$/);
});

test("English has every engine id with the engine's own English text", () => {
  for (const [key, text] of Object.entries(REGISTRY)) {
    assert.equal(en[/** @type {keyof typeof en} */ (key)], text, key);
  }
});

for (const code of CODES) {
  test(`the ${code} catalog has every engine id, translated`, async () => {
    const catalog = await loadCatalog(code);
    const lacking = Object.keys(REGISTRY).filter((k) => !Object.hasOwn(catalog, k));
    assert.deepEqual(lacking, [], `${code} lacks these engine messages`);
    if (code === "en") return;
    // Translated: not the English, except where the words are the same in the language.
    const same = Object.keys(REGISTRY).filter((k) => catalog[k] === REGISTRY[k]);
    const untranslated = same.filter((k) => !SAME_AS_ENGLISH[code].includes(k));
    assert.deepEqual(untranslated, [], `${code} keeps these engine messages in English`);
  });
}

test("an engine message in German: its catalog text, numbers the German way, nested too", async () => {
  await useLanguage("de");
  try {
    assert.equal(
      said({
        text: "not a DICOM file (no DICM marker and no DICOM header)",
        key: "engine.not_dicom",
      }),
      "keine DICOM-Datei (keine DICM-Kennung und kein DICOM-Header)",
    );
    // gantry tilt 18.0° as the engine sends it ({number, digits}); German writes 18,0.
    const tilt = { text: "gantry tilt of 18.0° corrected", key: "engine.gantry_tilt" };
    assert.equal(
      said({ ...tilt, params: { degrees: { number: 18, digits: 1 } } }),
      "Gantry-Neigung von 18,0° korrigiert",
    );
    // A plural with its count, and a message inside a message (the sizes of a truncation).
    const missing = { key: "engine.missing_slices", params: { start: 10.5, end: 20.5 } };
    assert.equal(
      said({ ...missing, text: "…", count: 2 }),
      "2 Schichten scheinen zwischen 10,5 und 20,5 mm zu fehlen",
    );
    assert.equal(
      said({ ...missing, text: "…", count: 1 }),
      "1 Schicht scheint zwischen 10,5 und 20,5 mm zu fehlen",
    );
    const size = (/** @type {number} */ n) => ({
      said: { text: `${n} bytes`, key: "engine.bytes", count: n, params: {} },
    });
    const cut = {
      text: "…",
      key: "engine.truncated_declares",
      params: { where: "(7FE0,0010) Pixel Data", declared: size(400), remaining: size(1) },
    };
    assert.equal(
      t("engine.file_reason", { file: "cut.dcm", reason: { said: cut } }),
      "cut.dcm: die Datei ist in (7FE0,0010) Pixel Data abgeschnitten: sie gibt 400 Bytes an, " +
        "aber nur 1 Byte sind vorhanden",
    );
  } finally {
    await useLanguage("en");
  }
});

test("an engine text without an id, or with one no catalog has, is shown as the engine wrote it", async () => {
  await useLanguage("fr");
  try {
    assert.equal(
      said({ text: "the waveform could not be read" }),
      "the waveform could not be read",
    );
    assert.equal(said({ text: "as written", key: "engine.no_such_message" }), "as written");
    assert.equal(said(null, "fallback"), "fallback");
  } finally {
    await useLanguage("en");
  }
});
