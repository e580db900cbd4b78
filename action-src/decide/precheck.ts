// The checks that need no Management API call: ordinary logins end here.
import { trustOf, type LinkingPolicy } from "../policy";
import { isProtected, isVerified, rootConnection, type LoginFacts } from "./account";
import { MARKER_KEY, markerDigest, markerDigestMatches, markerFor, type LegacyMarker, type Marker } from "./markers";
import { own } from "./records";

/** Protocols where nobody signs in interactively: the login only renews or exchanges tokens. */
const NON_INTERACTIVE = new Set(["oauth2-refresh-token", "oauth2-token-exchange", "oauth2-access-token"]);

export type PrecheckResult =
  /** `migrate`: a marker of an earlier release that still holds, rewritten in the current form (no API request). */
  | { proceed: false; reason: string; migrate?: Marker }
  /** `markerDigest`: what a marker written in this login holds for the email. */
  | { proceed: true; email: string; digest: string; markerDigest: string };

export interface PrecheckContext {
  now: number;
  /** The keyed digest for logs; also what v2 markers (earlier releases) hold. */
  digest: (email: string) => string;
  /** 16 random hex digits for a marker written in this login (the caller draws them; called only then). */
  salt: () => string;
}

/**
 * The checks that need no I/O. Ordinary logins stop here: no Management API traffic.
 * Reasons: skip.non_interactive, skip.no_email, skip.excluded_connection, skip.unverified,
 * skip.blocked, skip.protected, skip.decided, skip.reported, skip.snoozed.
 */
export function precheck(login: LoginFacts, policy: LinkingPolicy, context: PrecheckContext): PrecheckResult {
  if (login.protocol && NON_INTERACTIVE.has(login.protocol)) return { proceed: false, reason: "skip.non_interactive" };
  const email = typeof login.user.email === "string" ? login.user.email.trim() : "";
  if (email === "") return { proceed: false, reason: "skip.no_email" };
  // Judged on the login's connection and on the account's root identity: either excluded excludes.
  if (trustOf(policy, login.connection) === "excluded" || trustOf(policy, rootConnection(login.user)) === "excluded") {
    return { proceed: false, reason: "skip.excluded_connection" };
  }
  if (!isVerified(login.user)) return { proceed: false, reason: "skip.unverified" };
  if (login.user.blocked === true) return { proceed: false, reason: "skip.blocked" };
  if (isProtected(login.user, policy)) return { proceed: false, reason: "skip.protected" };
  // The keyed digest only when a v2 marker or a linking pass needs it: a decided v3 login stops
  // without it (the hot path: most logins end here).
  let keyed: string | undefined;
  const digest = () => (keyed ??= context.digest(email));
  const marker = own(login.user.app_metadata, MARKER_KEY) as Partial<Marker | LegacyMarker> | undefined;
  // v3 markers need no key (a rotation leaves them valid); a v2 marker holds while the secret it
  // was keyed with does, and is then rewritten as v3 so the next rotation leaves it valid too.
  const v3 = marker?.v === 3 && markerDigestMatches(marker.email, email);
  const v2 = marker?.v === 2 && marker.email === digest();
  if (marker && (v3 || v2)) {
    const migrate = v2 ? { migrate: markerFor(markerDigest(email, context.salt()), marker.state!, marker.until) } : {};
    if (marker.state === "decided") return { proceed: false, reason: "skip.decided", ...migrate };
    if (marker.state === "reported" && policy.reportOnly) return { proceed: false, reason: "skip.reported", ...migrate };
    if (marker.state === "snoozed" && typeof marker.until === "number" && context.now < marker.until) {
      return { proceed: false, reason: "skip.snoozed", ...migrate };
    }
  }
  return { proceed: true, email, digest: digest(), markerDigest: markerDigest(email, context.salt()) };
}
