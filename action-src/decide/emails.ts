// Email normalisation and digests: the one definition of "the same address".
import { createHmac } from "crypto";

/**
 * Lower-cases ASCII letters only: Unicode case mapping would make different addresses equal
 * ("\u212Aate@" lower-cases to "kate@"), and a lookup must never find someone else's account.
 */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export function normalizeEmail(email: string): string {
  return asciiLower(email.trim());
}

/** A short digest of a normalised email, keyed so that a guessed address cannot be confirmed. */
export function emailDigest(email: string, key: Buffer | string): string {
  return createHmac("sha256", key).update(normalizeEmail(email)).digest("hex").slice(0, 16);
}

/** The emails to look up exactly: Auth0's users-by-email is exact and case-sensitive. */
export function lookupEmails(email: string): string[] {
  const lower = asciiLower(email);
  return lower === email ? [email] : [email, lower];
}
