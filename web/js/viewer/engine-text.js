// The Python engine's messages as the viewer shows them, in the language shown (issue 18
// item 4): an engine message carries its catalog id (i18n.js `said`); its English otherwise.
import { said, t } from "../i18n/i18n.js";

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
