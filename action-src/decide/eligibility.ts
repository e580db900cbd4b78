// Which candidate accounts may be linked at all, and the cap on how many.
import { trustOf, type LinkingPolicy } from "../policy";
import { isProtected, isVerified, rootConnection, type Account } from "./account";
import { normalizeEmail } from "./emails";

export type Ineligibility =
  | "ineligible.unverified"
  | "ineligible.excluded_connection"
  | "ineligible.email_mismatch"
  | "ineligible.blocked"
  | "ineligible.protected"
  | "ineligible.unlinked";

export interface IgnoredAccount {
  user_id: string;
  reason: Ineligibility;
}

/** Why an account cannot be linked under `email` (normalised), or undefined when it can. */
export function ineligibility(account: Account, email: string, policy: LinkingPolicy): Ineligibility | undefined {
  if (typeof account.email !== "string" || normalizeEmail(account.email) !== email) return "ineligible.email_mismatch";
  if (trustOf(policy, rootConnection(account)) === "excluded") return "ineligible.excluded_connection";
  if (!isVerified(account)) return "ineligible.unverified";
  if (account.blocked === true) return "ineligible.blocked";
  if (isProtected(account, policy)) return "ineligible.protected";
  return undefined;
}

/** More eligible accounts than this with one email are left for an operator. */
export const MAX_OTHER_ACCOUNTS = 10;
