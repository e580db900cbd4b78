// The linking decision. PURE: no I/O, no clock, no randomness. The Action, the
// backfill and the simulator all call these functions, so they never disagree.
import { createHash } from "crypto";
import type { LinkingPolicy } from "./policy";

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
}

/** What a login tells us before any Management API call. */
export interface LoginFacts {
  user: Account;
  /** `event.connection.name` */
  connection?: string;
  /** `event.transaction.protocol` */
  protocol?: string;
}

/** The `app_metadata` key the Action owns. */
export const MARKER_KEY = "account_linking";

/** What the Action remembers about a user once it decided: which verified email it looked at. */
export interface Marker {
  v: 1;
  email: string;
}

/** Protocols where nobody signs in interactively: the login only renews or exchanges tokens. */
const NON_INTERACTIVE = new Set(["oauth2-refresh-token", "oauth2-token-exchange", "oauth2-access-token"]);

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A short, stable digest of a normalised email: lets logs and markers correlate without the address. */
export function emailDigest(email: string): string {
  return createHash("sha256").update(normalizeEmail(email)).digest("hex").slice(0, 16);
}

export function markerFor(email: string): Marker {
  return { v: 1, email: emailDigest(email) };
}

function hasMarkerFor(account: Account, email: string): boolean {
  const marker = account.app_metadata?.[MARKER_KEY] as Partial<Marker> | undefined;
  return !!marker && marker.v === 1 && marker.email === emailDigest(email);
}

export function connectionOf(account: Account): string | undefined {
  return account.identities?.[0]?.connection;
}

/** Verified means strictly `true` (a string "true" is not), or a connection the policy trusts. */
export function isVerified(account: Account, policy: LinkingPolicy, connection = connectionOf(account)): boolean {
  if (account.email_verified === true) return true;
  return connection !== undefined && policy.trustedEmailConnections.includes(connection);
}

export type PrecheckResult =
  | { proceed: false; reason: string }
  | { proceed: true; email: string };

/**
 * The checks that need no I/O. Ordinary logins stop here: no Management API traffic.
 * Reasons: skip.non_interactive, skip.no_email, skip.excluded_connection, skip.unverified, skip.decided.
 */
export function precheck(login: LoginFacts, policy: LinkingPolicy): PrecheckResult {
  const connection = login.connection ?? connectionOf(login.user);
  if (login.protocol && NON_INTERACTIVE.has(login.protocol)) return { proceed: false, reason: "skip.non_interactive" };
  const email = typeof login.user.email === "string" ? login.user.email.trim() : "";
  if (email === "") return { proceed: false, reason: "skip.no_email" };
  if (connection !== undefined && policy.excludedConnections.includes(connection)) {
    return { proceed: false, reason: "skip.excluded_connection" };
  }
  if (!isVerified(login.user, policy, connection)) return { proceed: false, reason: "skip.unverified" };
  if (hasMarkerFor(login.user, email)) return { proceed: false, reason: "skip.decided" };
  return { proceed: true, email };
}

/** The emails to look up: Auth0's search is exact and case-sensitive. */
export function lookupEmails(email: string): string[] {
  const lower = email.toLowerCase();
  return lower === email ? [email] : [email, lower];
}

/** One link call: the secondary, named the way `POST /users/{primary}/identities` wants it. */
export interface LinkStep {
  secondaryUserId: string;
  provider: string;
  userId: string;
  isCurrent: boolean;
}

export interface IgnoredAccount {
  user_id: string;
  reason: "ineligible.unverified" | "ineligible.excluded_connection" | "ineligible.email_mismatch";
}

export interface MetadataPatch {
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

export type Plan =
  | { kind: "none"; reason: "none.no_candidates" | "refuse.conflicting_primaries"; ignored: IgnoredAccount[] }
  /** A concurrent login already linked the current identity: only the switch is left. */
  | { kind: "switch"; reason: "link.already_linked"; primary: string; ignored: IgnoredAccount[] }
  | {
      kind: "link";
      reason: "link.planned";
      primary: string;
      /** Current identity first when it is one of them, so the switch is confirmed as early as possible. */
      links: LinkStep[];
      /** True when the current identity becomes a secondary: the login must end as `primary`. */
      switchToPrimary: boolean;
      /** Merged metadata to write on the primary before linking; absent when nothing changes. */
      patch?: MetadataPatch;
      ignored: IgnoredAccount[];
    };

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


function rank(account: Account, policy: LinkingPolicy): [number, number, string] {
  const connection = connectionOf(account);
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Fills keys missing in `base` from `extra`, recursively; `base` wins every conflict. */
export function fillMissing(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    if (!(key in out)) out[key] = value;
    else if (isPlainObject(out[key]) && isPlainObject(value)) out[key] = fillMissing(out[key] as Record<string, unknown>, value);
  }
  return out;
}

/**
 * The top-level keys whose merged value differs from the primary's: Auth0's PATCH merges at the
 * top level. Merging only appends keys, so an unchanged value serialises identically.
 */
function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> | undefined {
  const changed: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changed[key] = after[key];
  }
  return Object.keys(changed).length > 0 ? changed : undefined;
}

/**
 * Metadata the primary must hold before the secondaries are linked (Auth0 discards theirs).
 * Secondaries are merged in `secondaries` order; the primary's own values always win.
 * `marker`, when given, is written on the primary in the same call.
 */
export function mergeMetadata(primary: Account, secondaries: Account[], marker?: Marker): MetadataPatch | undefined {
  const patch: MetadataPatch = {};
  for (const field of ["app_metadata", "user_metadata"] as const) {
    const before = primary[field] ?? {};
    let merged: Record<string, unknown> = { ...before };
    for (const secondary of secondaries) {
      const theirs = { ...(secondary[field] ?? {}) };
      if (field === "app_metadata") delete theirs[MARKER_KEY];
      merged = fillMissing(merged, theirs);
    }
    if (field === "app_metadata" && marker) merged[MARKER_KEY] = marker;
    const changed = changedKeys(before, merged);
    if (changed) patch[field] = changed;
  }
  return patch.app_metadata || patch.user_metadata ? patch : undefined;
}

/** Why an account cannot be linked under `email` (normalised), or undefined when it can. */
export function ineligibility(account: Account, email: string, policy: LinkingPolicy): IgnoredAccount["reason"] | undefined {
  if (typeof account.email !== "string" || normalizeEmail(account.email) !== email) return "ineligible.email_mismatch";
  if (policy.excludedConnections.includes(connectionOf(account) ?? "")) return "ineligible.excluded_connection";
  if (!isVerified(account, policy)) return "ineligible.unverified";
  return undefined;
}

/**
 * Decides what to link for the user who just logged in.
 * `candidates` are the users Auth0 returned for the email (the current user may be among them).
 */
export function decideLinks(current: Account, candidates: Account[], policy: LinkingPolicy): Plan {
  const email = normalizeEmail(current.email ?? "");
  const ignored: IgnoredAccount[] = [];
  const eligible: Account[] = [];
  const seen = new Set<string>([current.user_id]);

  for (const candidate of candidates) {
    if (seen.has(candidate.user_id)) continue;
    seen.add(candidate.user_id);
    if (holdsIdentity(candidate, mainIdentity(current))) {
      // The current identity is already a secondary of this user (a concurrent login linked it).
      return { kind: "switch", reason: "link.already_linked", primary: candidate.user_id, ignored };
    }
    const reason = ineligibility(candidate, email, policy);
    if (reason) ignored.push({ user_id: candidate.user_id, reason });
    else eligible.push(candidate);
  }
  if (eligible.length === 0) return { kind: "none", reason: "none.no_candidates", ignored };

  const cluster = [current, ...eligible];
  // An account that already holds linked identities is the cluster's established primary:
  // it cannot itself become a secondary, so it must win; two of them cannot be reconciled here.
  const established = cluster.filter((account) => (account.identities?.length ?? 0) > 1);
  if (established.length > 1) return { kind: "none", reason: "refuse.conflicting_primaries", ignored };

  const ordered = orderForPrimary(cluster, policy);
  const primary = established[0] ?? ordered[0];
  const secondaries = ordered.filter((account) => account !== primary);
  const switchToPrimary = primary !== current;

  const links = secondaries
    .map((account): LinkStep => ({ secondaryUserId: account.user_id, ...mainIdentity(account), isCurrent: account === current }))
    .sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent));

  // When the login switches, the marker goes on the primary with the merge: the current user
  // stops existing, and metadata set next to setPrimaryUser may be dropped by Auth0.
  const patch = mergeMetadata(primary, secondaries, switchToPrimary ? markerFor(email) : undefined);
  return { kind: "link", reason: "link.planned", primary: primary.user_id, links, switchToPrimary, patch, ignored };
}
