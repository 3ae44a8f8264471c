// The message catalogs (web/js/i18n): every language has exactly English's keys with the
// same {placeholders}; the language chosen from the browser's list; Intl's numbers.
import assert from "node:assert/strict";
import { test } from "node:test";
import en from "../../web/js/i18n/en.js";
import {
  chooseLanguage,
  formatNumber,
  LANGUAGES,
  loadCatalog,
  placeholders,
  t,
  tn,
  useLanguage,
} from "../../web/js/i18n/i18n.js";
import { shortcuts } from "../../web/js/page/shortcuts.js";

const CODES = /** @type {(keyof typeof LANGUAGES)[]} */ (Object.keys(LANGUAGES));

test("the languages are English, German, French, Spanish and Arabic (right to left)", () => {
  assert.deepEqual(CODES, ["en", "de", "fr", "es", "ar"]);
  assert.equal(LANGUAGES.ar.dir, "rtl");
  assert.ok(CODES.filter((c) => c !== "ar").every((c) => LANGUAGES[c].dir === "ltr"));
});

/**
 * The English key a catalog's key answers to: itself, or for a plural form English has not
 * (Arabic's `.zero`, `.two`, `.few`, `.many`) the English `.other` of its plural.
 * @param {string} key
 */
function englishOf(key) {
  const form = /^(.+)\.(zero|two|few|many)$/.exec(key);
  return form && Object.hasOwn(en, `${form[1]}.other`) ? `${form[1]}.other` : key;
}

for (const code of CODES) {
  test(`the ${code} catalog has exactly the English keys, each with its placeholders`, async () => {
    const catalog = await loadCatalog(code);
    const keys = Object.keys(catalog);
    const missing = Object.keys(en).filter((k) => !Object.hasOwn(catalog, k));
    const extra = keys.filter((k) => !Object.hasOwn(en, englishOf(k)));
    assert.deepEqual(missing, [], `${code} lacks these keys`);
    assert.deepEqual(extra, [], `${code} has keys English has not`);
    for (const key of keys) {
      assert.equal(typeof catalog[key], "string", `${code} ${key}`);
      assert.ok(catalog[key].trim().length > 0, `${code} ${key} is empty`);
      const english = en[/** @type {keyof typeof en} */ (englishOf(key))];
      assert.deepEqual(placeholders(catalog[key]), placeholders(english), `${code} ${key}`);
    }
  });
}

// Every plural form the language's rules choose for a count, 0 … 110 (Arabic has zero, one,
// two, few, many and other: 0, 1, 2, 3–10, 11–99, 100–102), is in its catalog for every
// plural key (a key English has as `.one` and `.other`).
const PLURALS = Object.keys(en)
  .filter((k) => k.endsWith(".other") && Object.hasOwn(en, k.replace(/\.other$/, ".one")))
  .map((k) => k.replace(/\.other$/, ""));

for (const code of CODES) {
  test(`the ${code} catalog has every plural form Intl.PluralRules('${code}') selects`, async () => {
    const catalog = await loadCatalog(code);
    const rules = new Intl.PluralRules(code);
    const forms = new Set(Array.from({ length: 111 }, (_, n) => rules.select(n)));
    const lacking = PLURALS.flatMap((base) =>
      [...forms].filter((f) => !Object.hasOwn(catalog, `${base}.${f}`)).map((f) => `${base}.${f}`),
    );
    assert.deepEqual(lacking, [], `${code} lacks these plural forms`);
  });
}

test("Arabic chooses each of its six plural forms (worked by hand from CLDR's rules)", async () => {
  await useLanguage("ar");
  try {
    const forms = /** @type {Record<string, string>} */ (await loadCatalog("ar"));
    // CLDR ar: 0 zero, 1 one, 2 two, n % 100 in 3..10 few, n % 100 in 11..99 many, else other.
    for (const [count, form] of [
      [0, "zero"],
      [1, "one"],
      [2, "two"],
      [7, "few"],
      [103, "few"],
      [11, "many"],
      [99, "many"],
      [100, "other"],
    ]) {
      const expected = forms[`series.images.${form}`].replace("{count}", formatNumber(+count));
      assert.equal(tn("series.images", +count), expected, `${count} → ${form}`);
    }
  } finally {
    await useLanguage("en");
  }
});

test("the help's keys column in English is the shortcut table's", () => {
  const table = shortcuts(/** @type {any} */ (new Proxy({}, { get: () => () => {} })));
  for (const row of table) {
    assert.equal(en[/** @type {keyof typeof en} */ (`${row.what}.keys`)], row.keys, row.what);
    assert.ok(Object.hasOwn(en, row.what), row.what);
  }
});

test("the browser's languages choose the catalog: exact, then primary subtag, else English", () => {
  assert.equal(chooseLanguage(["de-AT", "en-US"]), "de");
  assert.equal(chooseLanguage(["pt-BR", "fr-CA", "es"]), "fr");
  assert.equal(chooseLanguage([null, "ar-EG"]), "ar");
  assert.equal(chooseLanguage(["ES"]), "es");
  assert.equal(chooseLanguage(["zh-CN", "ja"]), "en");
  assert.equal(chooseLanguage([]), "en");
});

test("numbers, plurals and placeholders in German; a missing key shows itself", async () => {
  await useLanguage("de");
  try {
    // Worked by hand: German writes the decimal comma, no grouping in a measurement.
    assert.equal(formatNumber(12.3, 1), "12,3");
    assert.equal(formatNumber(-7.25, 1), "-7,3");
    assert.equal(formatNumber(1234.5, 1), "1234,5");
    assert.equal(
      t("measure.length", { value: { number: 12.34, digits: 1 }, unit: "mm" }),
      "12,3 mm",
    );
    assert.equal(tn("series.images", 1), "1 Bild");
    assert.equal(tn("series.images", 24), "24 Bilder");
    assert.equal(t("no.such.key"), "no.such.key");
  } finally {
    await useLanguage("en");
  }
  assert.equal(formatNumber(12.3, 1), "12.3");
  assert.equal(tn("series.images", 1), "1 image");
});
