// The Python engine's messages as the viewer shows them, in the language shown (issue 18
// item 4): an engine message carries its catalog id (i18n.js `said`); its English otherwise.
import en from "../i18n/en.js";
import { said, t } from "../i18n/i18n.js";

/** @typedef {import("../i18n/i18n.js").Said} Said */
/** @typedef {import("../i18n/i18n.js").Params} Params */

/**
 * A text of the page's own (a catalog key with its values) as an engine message is carried:
 * its English text beside the key, so that it is shown in the language shown (i18n.js
 * `said`) and read in English by what keeps English (window.lightbox.state()).
 * @param {string} key @param {Params} [params] @returns {Said}
 */
export function pageSaid(key, params = {}) {
  const template = en[/** @type {keyof typeof en} */ (key)] ?? key;
  const text = template.replace(
    /\{(\w+)\}/g,
    (/** @type {string} */ whole, /** @type {string} */ name) => {
      const value = params[name];
      if (value === undefined) return whole;
      if (typeof value === "object" && "said" in value) return value.said.text;
      if (typeof value === "object" && "number" in value) return String(value.number);
      return String(value);
    },
  );
  return { text, key, params };
}

/**
 * An Error whose message is `message`'s English, shown by {@link errorText} in the language
 * shown. @param {Said} message @param {unknown} [cause]
 */
export function saidError(message, cause) {
  return Object.assign(new Error(message.text, cause === undefined ? {} : { cause }), {
    said: message,
  });
}

/**
 * A volume's warnings in the language shown (the engine's English where the catalog lacks
 * one), joined; "" when there are none.
 * @param {import("../rpc/protocol.js").VolumeWarning[] | undefined} warnings
 */
export function volumeWarnings(warnings) {
  return (warnings ?? []).map((w) => said(w.said, w.message)).join("; ");
}

/**
 * What a failure says: an engine's reason in the language shown, with its file; else the
 * error's own message.
 * @param {unknown} error
 */
export function errorText(error) {
  if (!(error instanceof Error)) return String(error);
  const { said: message, file } = /** @type {{said?: any, file?: string | null}} */ (error);
  if (!message?.key) return error.message;
  const reason = { said: message };
  return file ? t("engine.file_reason", { file, reason }) : said(message);
}

/**
 * A file's own warnings (a video's, drawn as its render's notice), "file: one; two" in the
 * language shown; "" when there are none.
 * @param {{file?: string, warningsSaid?: Said[]}} info
 */
export function fileWarnings(info) {
  const list = info.warningsSaid ?? [];
  if (!list.length) return "";
  const reason = list.map((w) => said(w)).join("; ");
  return t("engine.file_reason", { file: info.file ?? "", reason });
}
