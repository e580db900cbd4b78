// Pairs an operator unlinked (npm run unlink): remembered on both accounts so that neither the
// Action nor the backfill links them again. Auth0 itself keeps no trace of an unlink: the
// re-created user is a new user with no metadata (Auth0 docs, "Unlink User Accounts").
import { own } from "./records";
import type { Account } from "./account";

/** app_metadata key (agreed): the user_ids (values, never field names) this account must not be linked with. */
export const UNLINKED_KEY = "account_linking_unlinked";
/** Kept per account at most; an operator unlinking more pairs than this for one person is told so by unlink. */
export const UNLINKED_LIMIT = 20;

/** The user_ids an account was unlinked from. */
export function unlinkedFrom(account: Account): string[] {
  const value = own(account.app_metadata, UNLINKED_KEY);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Every user_id an account answers to: itself and each identity it holds (`provider|user_id`). */
function idsOf(account: Account): string[] {
  return [account.user_id, ...(account.identities ?? []).filter((i) => i.provider && i.user_id !== undefined).map((i) => `${i.provider}|${String(i.user_id)}`)];
}

/** True when an operator unlinked these two accounts (marked on either side). */
export function isUnlinkedPair(a: Account, b: Account): boolean {
  const fromA = new Set(unlinkedFrom(a));
  const fromB = new Set(unlinkedFrom(b));
  return idsOf(b).some((id) => fromA.has(id)) || idsOf(a).some((id) => fromB.has(id));
}

/** The list after adding `other` (idempotent, bounded: the oldest fall off). */
export function withUnlinked(account: Account, other: string): string[] {
  const list = unlinkedFrom(account).filter((id) => id !== other);
  return [...list, other].slice(-UNLINKED_LIMIT);
}
