// The checks that need no Management API call: ordinary logins end here.
import { trustOf, type LinkingPolicy } from "../policy";
import { isProtected, isVerified, rootConnection, type LoginFacts } from "./account";
import { MARKER_KEY, type Marker } from "./markers";
import { own } from "./records";

/** Protocols where nobody signs in interactively: the login only renews or exchanges tokens. */
const NON_INTERACTIVE = new Set(["oauth2-refresh-token", "oauth2-token-exchange", "oauth2-access-token"]);

export type PrecheckResult = { proceed: false; reason: string } | { proceed: true; email: string; digest: string };

export interface PrecheckContext {
  now: number;
  digest: (email: string) => string;
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
  const digest = context.digest(email);
  const marker = own(login.user.app_metadata, MARKER_KEY) as Partial<Marker> | undefined;
  if (marker && marker.v === 2 && marker.email === digest) {
    if (marker.state === "decided") return { proceed: false, reason: "skip.decided" };
    if (marker.state === "reported" && policy.reportOnly) return { proceed: false, reason: "skip.reported" };
    if (marker.state === "snoozed" && typeof marker.until === "number" && context.now < marker.until) {
      return { proceed: false, reason: "skip.snoozed" };
    }
  }
  return { proceed: true, email, digest };
}
