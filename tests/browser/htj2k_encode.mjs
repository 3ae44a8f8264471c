// Test-time helper: encode raw samples as an HTJ2K codestream with the openjph codec.
// usage: node htj2k_encode.mjs in.raw out.j2c width height bits signed(0|1) [lossy(0|1)] [rpcl(0|1)]
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const factory = require("@cornerstonejs/codec-openjph");
const [input, output, width, height, bits, signed, lossy = "0", rpcl = "0"] = process.argv.slice(2);
const m = await factory();
const encoder = new m.HTJ2KEncoder();
const frame = { width: +width, height: +height, bitsPerSample: +bits, componentCount: 1, isSigned: signed === "1", isUsingColorTransform: false };
encoder.getDecodedBuffer(frame).set(new Uint8Array(readFileSync(input)));
if (lossy === "1") encoder.setQuality(false, 0.5);
if (rpcl === "1" && typeof encoder.setProgressionOrder === "function") encoder.setProgressionOrder(2); // RPCL
encoder.encode();
writeFileSync(output, encoder.getEncodedBuffer());
encoder.delete();
