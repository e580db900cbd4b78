// The linking decision and its trust model. PURE: no I/O, no clock, no randomness (time and
// keys come in as arguments). The Action, the backfill and the simulator all call these
// functions, so they never disagree.
import { createHmac } from "crypto";
import { trustOf, type LinkingPolicy } from "./policy";

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

/** The `app_metadata` key the Action owns: what it decided, for which email. */
export const MARKER_KEY = "account_linking";
/** The `app_metadata` key on a primary that keeps what linking discarded, so an unlink can restore it. */
export const UNDO_KEY = "account_linking_undo";

/**
 * decided: nothing more to do for this email. snoozed: asked, refused or declined; look again after
 * `until` (epoch ms). reported: report-only looked at this person once.
 */
export interface Marker {
  v: 2;
  email: string;
  state: "decided" | "snoozed" | "reported";
  until?: number;
}

/** Protocols where nobody signs in interactively: the login only renews or exchanges tokens. */
const NON_INTERACTIVE = new Set(["oauth2-refresh-token", "oauth2-token-exchange", "oauth2-access-token"]);

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

export function markerFor(digest: string, state: Marker["state"], until?: number): Marker {
  return until === undefined ? { v: 2, email: digest, state } : { v: 2, email: digest, state, until };
}

function own(record: Record<string, unknown> | undefined, key: string): unknown {
  return record && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
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

/** The emails to look up exactly: Auth0's users-by-email is exact and case-sensitive. */
export function lookupEmails(email: string): string[] {
  const lower = asciiLower(email);
  return lower === email ? [email] : [email, lower];
}

/** One link call: the secondary, named the way `POST /users/{primary}/identities` wants it. */
export interface LinkStep {
  secondaryUserId: string;
  provider: string;
  userId: string;
  isCurrent: boolean;
}

export type Ineligibility =
  | "ineligible.unverified"
  | "ineligible.excluded_connection"
  | "ineligible.email_mismatch"
  | "ineligible.blocked"
  | "ineligible.protected";

export interface IgnoredAccount {
  user_id: string;
  reason: Ineligibility;
}

export interface MetadataPatch {
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

export type Plan =
  | {
      kind: "none";
      reason: "none.no_candidates" | "refuse.conflicting_primaries" | "refuse.metadata_conflict" | "refuse.too_many_accounts";
      ignored: IgnoredAccount[];
    }
  /** A concurrent login already linked the current identity: only the switch is left. */
  | { kind: "switch"; reason: "link.already_linked"; primary: string; primaryHasMfa: boolean; ignored: IgnoredAccount[] }
  /**
   * An eligible account exists but a connection involved is not trusted: the person must prove
   * control of `target` (sign in to it) before anything is linked.
   */
  | {
      kind: "confirm";
      reason: "confirm.required";
      primary: string;
      /** The trusted account to sign in to; absent when none is (then nobody is asked in this login). */
      target?: { user_id: string; connection?: string };
      ignored: IgnoredAccount[];
    }
  | {
      kind: "link";
      reason: "link.planned";
      primary: string;
      /** Current identity first when it is one of them, so the switch is confirmed as early as possible. */
      links: LinkStep[];
      /** True when the current identity becomes a secondary: the login must end as `primary`. */
      switchToPrimary: boolean;
      /** The primary has MFA enrolled: a login switched into it must pass the primary's MFA. */
      primaryHasMfa: boolean;
      /** Merged metadata (and the undo record) to write on the primary before linking. */
      patch?: MetadataPatch;
      /** Eligible accounts at `confirm` trust left for a confirmation at a later login. */
      awaitingConfirmation: number;
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

export function hasMfa(account: Account): boolean {
  return Array.isArray(account.multifactor) && account.multifactor.length > 0;
}

function isEstablished(account: Account): boolean {
  return (account.identities?.length ?? 0) > 1;
}

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
function choosePrimary(accounts: Account[], policy: LinkingPolicy): Account {
  return accounts.find(isEstablished) ?? orderForPrimary(accounts, policy)[0];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Sets an own, enumerable property: `__proto__` or `constructor` stay plain keys. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function copy(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) put(out, key, record[key]);
  return out;
}

/** Fills keys missing in `base` from `extra`, recursively; `base` wins every conflict. Own keys only. */
export function fillMissing(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out = copy(base);
  for (const key of Object.keys(extra)) {
    const mine = own(out, key);
    const theirs = extra[key];
    if (mine === undefined) put(out, key, theirs);
    else if (isPlainObject(mine) && isPlainObject(theirs)) put(out, key, fillMissing(mine, theirs));
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
    if (JSON.stringify(own(before, key)) !== JSON.stringify(after[key])) put(changed, key, after[key]);
  }
  return Object.keys(changed).length > 0 ? changed : undefined;
}

/** Per secondary, what the link discards and the merge did not carry: bounded so a profile stays small. */
const UNDO_ENTRY_LIMIT = 4_000;
const UNDO_ENTRIES_LIMIT = 10;

function undoEntry(secondary: Account, primary: Account, policy: LinkingPolicy): Record<string, unknown> {
  const app: Record<string, unknown> = {};
  for (const key of Object.keys(secondary.app_metadata ?? {})) {
    if (key === MARKER_KEY || key === UNDO_KEY || policy.carriedAppMetadataKeys.includes(key)) continue;
    put(app, key, secondary.app_metadata![key]);
  }
  // user_metadata keys whose value lost to the primary's (the rest is carried whole).
  const user: Record<string, unknown> = {};
  for (const key of Object.keys(secondary.user_metadata ?? {})) {
    const mine = own(primary.user_metadata, key);
    if (mine !== undefined && JSON.stringify(mine) !== JSON.stringify(secondary.user_metadata![key])) put(user, key, secondary.user_metadata![key]);
  }
  const entry: Record<string, unknown> = {};
  if (Object.keys(app).length > 0) entry.app_metadata = app;
  if (Object.keys(user).length > 0) entry.user_metadata = user;
  if (JSON.stringify(entry).length > UNDO_ENTRY_LIMIT) {
    // Too large to keep whole: keep which keys were lost, so an operator knows what to look for.
    return { truncated: true, app_metadata_keys: Object.keys(app).slice(0, 50), user_metadata_keys: Object.keys(user).slice(0, 50) };
  }
  return entry;
}

export type MergeResult = { patch?: MetadataPatch; conflict?: undefined } | { conflict: string; patch?: undefined };

/**
 * Metadata the primary must hold before the secondaries are linked (Auth0 discards theirs):
 * user_metadata filled in (the primary wins), only the policy's carried app_metadata keys, and an
 * undo record of what was not carried. A carried key whose values differ is a conflict: carrying
 * either value could lift a restriction, so nothing is linked.
 * `marker`, when given, is written on the primary in the same call.
 */
export function mergeMetadata(primary: Account, secondaries: Account[], policy: LinkingPolicy, marker?: Marker): MergeResult {
  const primaryApp = primary.app_metadata ?? {};
  const app = copy(primaryApp);
  for (const key of policy.carriedAppMetadataKeys) {
    const values = [primary, ...secondaries].map((account) => own(account.app_metadata, key)).filter((v) => v !== undefined && v !== null);
    if (new Set(values.map((v) => JSON.stringify(v))).size > 1) return { conflict: key };
    if (values.length > 0 && own(primaryApp, key) === undefined) put(app, key, values[0]);
  }
  let user = copy(primary.user_metadata ?? {});
  for (const secondary of secondaries) user = fillMissing(user, secondary.user_metadata ?? {});

  const undo = isPlainObject(own(primaryApp, UNDO_KEY)) ? copy(own(primaryApp, UNDO_KEY) as Record<string, unknown>) : {};
  for (const secondary of secondaries) {
    const entry = undoEntry(secondary, primary, policy);
    if (Object.keys(entry).length > 0 && Object.keys(undo).length < UNDO_ENTRIES_LIMIT) put(undo, secondary.user_id, entry);
  }
  if (Object.keys(undo).length > 0) put(app, UNDO_KEY, undo);
  if (marker) put(app, MARKER_KEY, marker);

  const patch: MetadataPatch = {};
  const appChanged = changedKeys(primaryApp, app);
  const userChanged = changedKeys(primary.user_metadata ?? {}, user);
  if (appChanged) patch.app_metadata = appChanged;
  if (userChanged) patch.user_metadata = userChanged;
  return patch.app_metadata || patch.user_metadata ? { patch } : {};
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

export interface DecideOptions {
  /** The connection the login used (`event.connection.name`); defaults to the current account's root. */
  loginConnection?: string;
  /** Marker written on the primary when the login switches (the current user stops existing). */
  switchMarker?: Marker;
  /** The person proved control of this account (confirmation): it links without connection trust. */
  confirmed?: string;
}

/**
 * Decides what to link for the user who just logged in.
 * `candidates` are the users Auth0 returned for the email (the current user may be among them).
 * Silent linking needs every connection involved to be `trusted`: the login's, the current
 * account's root and each candidate's root. Other eligible candidates need confirmation.
 */
export function decideLinks(current: Account, candidates: Account[], policy: LinkingPolicy, options: DecideOptions = {}): Plan {
  const email = normalizeEmail(current.email ?? "");
  const ignored: IgnoredAccount[] = [];
  const eligible: Account[] = [];
  const seen = new Set<string>([current.user_id]);

  for (const candidate of candidates) {
    if (seen.has(candidate.user_id)) continue;
    seen.add(candidate.user_id);
    if (holdsIdentity(candidate, mainIdentity(current))) {
      // The current identity is already a secondary of this user (a concurrent login linked it).
      return { kind: "switch", reason: "link.already_linked", primary: candidate.user_id, primaryHasMfa: hasMfa(candidate), ignored };
    }
    const reason = ineligibility(candidate, email, policy);
    if (reason) ignored.push({ user_id: candidate.user_id, reason });
    else eligible.push(candidate);
  }
  if (eligible.length === 0) return { kind: "none", reason: "none.no_candidates", ignored };
  // Nobody has this many accounts with one address; linking them would be one login's worth of
  // Management API budget spent on what is more likely an attack or a shared mailbox.
  if (eligible.length > MAX_OTHER_ACCOUNTS) return { kind: "none", reason: "refuse.too_many_accounts", ignored };
  // Two accounts that already hold linked identities cannot be reconciled here.
  if ([current, ...eligible].filter(isEstablished).length > 1) return { kind: "none", reason: "refuse.conflicting_primaries", ignored };

  const trusted = (connection: string | undefined) => trustOf(policy, connection) === "trusted";
  const loginTrusted = trusted(options.loginConnection ?? rootConnection(current)) && trusted(rootConnection(current));
  const silent = eligible.filter((account) => account.user_id === options.confirmed || (loginTrusted && trusted(rootConnection(account))));
  const awaiting = eligible.filter((account) => !silent.includes(account));
  // An established primary awaiting confirmation must be confirmed first: linking the others
  // without it would create a second established primary.
  if (silent.length === 0 || awaiting.some(isEstablished)) {
    const primary = choosePrimary([current, ...eligible], policy);
    // The person may only be sent to sign in to an account on a trusted connection: signing in
    // at an untrusted connection proves nothing (its IdP may answer for anyone, and that account
    // may be the attacker's). Untrusted accounts are confirmed from their own side instead: when
    // their owner logs in, the trusted account is the one to sign in to.
    const confirmable = awaiting.filter((account) => trusted(rootConnection(account)));
    const target = confirmable.length > 0 ? choosePrimary(confirmable, policy) : undefined;
    return {
      kind: "confirm",
      reason: "confirm.required",
      primary: primary.user_id,
      ...(target ? { target: { user_id: target.user_id, connection: rootConnection(target) } } : {}),
      ignored,
    };
  }

  const cluster = [current, ...silent];
  const primary = choosePrimary(cluster, policy);
  const secondaries = orderForPrimary(cluster, policy).filter((account) => account !== primary);
  const switchToPrimary = primary !== current;
  const links = secondaries
    .map((account): LinkStep => ({ secondaryUserId: account.user_id, ...mainIdentity(account), isCurrent: account === current }))
    .sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent));

  // When the login switches, the marker goes on the primary with the merge: the current user
  // stops existing, and metadata set next to setPrimaryUser may be dropped by Auth0.
  // The marker rides on the primary only when this login's one link completes the cluster: with
  // other secondaries still to link, a failure among them must be retried at the next login.
  const final = switchToPrimary && awaiting.length === 0 && links.length === 1;
  const merged = mergeMetadata(primary, secondaries, policy, final ? options.switchMarker : undefined);
  if (merged.conflict !== undefined) return { kind: "none", reason: "refuse.metadata_conflict", ignored };
  return {
    kind: "link",
    reason: "link.planned",
    primary: primary.user_id,
    links,
    switchToPrimary,
    primaryHasMfa: hasMfa(primary),
    patch: merged.patch,
    awaitingConfirmation: awaiting.length,
    ignored,
  };
}
