// What the decision reads of an Auth0 user, and the facts derived from it without I/O.
import type { LinkingPolicy } from "../policy";
import { own } from "./records";

/** An identity inside an Auth0 user (`identities[]`). */
export interface Identity {
  connection?: string;
  provider?: string;
  user_id?: string | number;
}

/** The parts of an Auth0 user that the decision reads. */
export interface Account {
  user_id: string;
  email?: string;
  email_verified?: unknown;
  created_at?: string;
  identities?: Identity[];
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  blocked?: unknown;
  /** Enrolled MFA providers (Auth0's user profile field). */
  multifactor?: unknown;
}

/** What a login tells us before any Management API call. */
export interface LoginFacts {
  user: Account;
  /** `event.connection.name`: the connection this login used. */
  connection?: string;
  /** `event.transaction.protocol` */
  protocol?: string;
}

/** The identity the account's email belongs to: its first identity. */
export function rootConnection(account: Account): string | undefined {
  return account.identities?.[0]?.connection;
}

export function isVerified(account: Account): boolean {
  // Strictly `true`: a string "true" is not, and no connection's trust turns `false` into `true`.
  return account.email_verified === true;
}

export function isProtected(account: Account, policy: LinkingPolicy): boolean {
  return policy.protectedAppMetadataKeys.some((key) => {
    const value = own(account.app_metadata, key);
    return value !== undefined && value !== null;
  });
}

/** Splits `provider|id` at the first bar (ids may contain bars themselves). */
export function splitUserId(userId: string): { provider: string; userId: string } {
  const bar = userId.indexOf("|");
  if (bar <= 0) return { provider: "", userId };
  return { provider: userId.slice(0, bar), userId: userId.slice(bar + 1) };
}

/** The identity an account logs in with: its first identity, or its `user_id` split. */
export function mainIdentity(account: Account): { provider: string; userId: string } {
  const first = account.identities?.[0];
  if (first?.provider && first.user_id !== undefined) return { provider: first.provider, userId: String(first.user_id) };
  return splitUserId(account.user_id);
}

/** True when `primary` holds the identity as a linked (non-first) identity. */
export function holdsIdentity(primary: Account, wanted: { provider: string; userId: string }): boolean {
  return (primary.identities ?? [])
    .slice(1)
    .some((identity) => identity.provider === wanted.provider && String(identity.user_id) === wanted.userId);
}

export function hasMfa(account: Account): boolean {
  return Array.isArray(account.multifactor) && account.multifactor.length > 0;
}

export function isEstablished(account: Account): boolean {
  return (account.identities?.length ?? 0) > 1;
}
