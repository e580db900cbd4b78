// The app_metadata the Action owns on a user: its decision marker and the undo record key.
import { createHash, timingSafeEqual } from "crypto";
import { normalizeEmail } from "./emails";

/** The `app_metadata` key the Action owns: what it decided, for which email. */
export const MARKER_KEY = "account_linking";
/** The `app_metadata` key on a primary that keeps what linking discarded, so an unlink can restore it. */
export const UNDO_KEY = "account_linking_undo";

/**
 * decided: nothing more to do for this email. snoozed: asked, refused or declined; look again after
 * `until` (epoch ms). reported: report-only looked at this person once.
 *
 * v3 (written now): `email` is `<salt>.<digest>`, a salted SHA-256 of the normalised email that
 * needs no key, so no secret rotation can invalidate it (docs/operations.md, "Rotating the
 * Action's secret"). v2 (earlier releases): `email` is keyed from the client secret; still read,
 * and rewritten as v3 while that secret lasts.
 */
export interface Marker {
  v: 3;
  email: string;
  state: "decided" | "snoozed" | "reported";
  until?: number;
}

/** A v2 marker as earlier releases wrote it. */
export interface LegacyMarker {
  v: 2;
  email: string;
  state: Marker["state"];
  until?: number;
}

export function markerFor(markerDigest: string, state: Marker["state"], until?: number): Marker {
  return until === undefined ? { v: 3, email: markerDigest, state } : { v: 3, email: markerDigest, state, until };
}

const SALT = /^[0-9a-f]{16}$/;

/**
 * What a v3 marker holds for an email: `<salt>.<first 16 hex of SHA-256(salt NUL email)>`. The salt
 * (random, per marker, from the caller: this module draws no randomness) keeps one address from
 * having the same value on every account and tenant.
 */
export function markerDigest(email: string, salt: string): string {
  if (!SALT.test(salt)) throw new Error("marker salt must be 16 lower-case hex digits");
  return `${salt}.${createHash("sha256").update(salt).update("\0").update(normalizeEmail(email)).digest("hex").slice(0, 16)}`;
}

/** True when a v3 marker's `email` value was made for this email. */
export function markerDigestMatches(value: unknown, email: string): boolean {
  if (typeof value !== "string") return false;
  const dot = value.indexOf(".");
  const salt = value.slice(0, dot);
  if (dot !== 16 || !SALT.test(salt)) return false;
  const expected = Buffer.from(markerDigest(email, salt));
  const actual = Buffer.from(value);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

