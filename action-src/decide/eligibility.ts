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

/** More accounts than this that a login could be linked with, under one email, are left for an operator. */
export const MAX_OTHER_ACCOUNTS = 10;

/**
 * Whether a login could ever be linked with this eligible account from its own side: the account
 * it just proved control of, or one on a trusted connection (silently, or after the person signs
 * in to it). An account on a `confirm` connection is only ever linked from its own login, so it
 * does not count toward the cap: anyone who can mint verified accounts on such a connection (an
 * identity provider they run) could otherwise block every login with the address.
 */
export function couldLinkWith(account: Account, policy: LinkingPolicy, confirmed?: string): boolean {
  return account.user_id === confirmed || trustOf(policy, rootConnection(account)) === "trusted";
}
