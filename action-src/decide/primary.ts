// Which account of a cluster becomes the primary.
import type { LinkingPolicy } from "../policy";
import { isEstablished, rootConnection, type Account } from "./account";

function rank(account: Account, policy: LinkingPolicy): [number, number, string] {
  const connection = rootConnection(account);
  const preference = connection === undefined ? -1 : policy.primaryConnectionOrder.indexOf(connection);
  const created = account.created_at ? Date.parse(account.created_at) : NaN;
  return [
    preference === -1 ? Number.MAX_SAFE_INTEGER : preference,
    Number.isNaN(created) ? Number.MAX_SAFE_INTEGER : created,
    account.user_id,
  ];
}

/** Deterministic order, best primary first: policy preference, then oldest, then user_id. */
export function orderForPrimary(accounts: Account[], policy: LinkingPolicy): Account[] {
  return accounts
    .map((account) => ({ account, key: rank(account, policy) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || (a.key[2] < b.key[2] ? -1 : a.key[2] > b.key[2] ? 1 : 0))
    .map((entry) => entry.account);
}

/** An account that already holds linked identities must stay primary; else the best-ranked one. */
export function choosePrimary(accounts: Account[], policy: LinkingPolicy): Account {
  return accounts.find(isEstablished) ?? orderForPrimary(accounts, policy)[0];
}
