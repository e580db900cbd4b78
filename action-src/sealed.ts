// Values this Action shares through api.cache, which every Action bound to the trigger can read
// and write: AES-256-GCM under a key only this Action holds, with the purpose and owner as
// associated data, so a value from another Action (or for another purpose) opens as nothing.
import { createCipheriv, createDecipheriv, randomBytes } from "crypto";

export function sealJson(value: unknown, key: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

/** The sealed value, or undefined when it is not ours, corrupted, or sealed under another key. */
export function unsealJson(text: string, key: Buffer, aad: string): unknown {
  try {
    const raw = Buffer.from(text, "base64");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
