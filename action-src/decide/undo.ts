// The undo record: what a link discarded or carried, kept on the primary so an unlink can restore it.
//
// Shape (app_metadata.account_linking_undo): { v: 3, entries: [{ user, at, ... }] }. The
// secondary's user_id is a VALUE, never a field name: Auth0 forbids "." and "$" in metadata field
// names (Auth0 docs, "Metadata field names and data types"), Sign in with Apple ids contain dots
// (apple|001234.5f9a0c.0912) and enterprise ids often hold an email (samlp|corp|ada@example.com).
// Every field name below is fixed; the only other names are the secondary's own metadata keys,
// which Auth0 already accepted on that user.
//
// The record is visible to every Action on the tenant (event.user.app_metadata) and to any Action
// that copies app_metadata into tokens: it keeps only what an unlink needs, for
// policy.undoRetentionDays, and entries older than that are dropped at the next write.
import type { LinkingPolicy } from "../policy";
import type { Account } from "./account";
import type { Grants } from "./holdings";
import { MARKER_KEY, UNDO_KEY } from "./markers";
import { isPlainObject, own, put } from "./records";

/** One former account. `keys_only`: the values did not fit (size); only their names are kept. */
export interface UndoEntry {
  /** The secondary's user_id before the link (a value: any characters are fine here). */
  user: string;
  /** When the link was planned (epoch ms): retention is counted from here. */
  at: number;
  /** app_metadata the link discarded (keys the policy does not carry). */
  app_metadata?: Record<string, unknown>;
  /** user_metadata values that lost to the primary's. */
  user_metadata?: Record<string, unknown>;
  /** Names of the values kept only by name (keys_only entries). */
  app_metadata_keys?: string[];
  user_metadata_keys?: string[];
  keys_only?: true;
  /** user_metadata / app_metadata keys copied onto the primary: restored from the primary's values. */
  carried_user_metadata?: string[];
  carried_app_metadata?: string[];
  /** What the secondary held off-profile (roles, permissions, memberships), restored at unlink. */
  held?: Grants;
  /** What the link gave the primary (authorization: "carry"), taken back at unlink. */
  added?: Grants;
}

export interface UndoRecord {
  v: 3;
  entries: UndoEntry[];
}

/** Values kept per entry before it falls back to names only. */
export const UNDO_ENTRY_LIMIT = 2_000;
/** Entries kept at most (newest first); older links are past undoing by this tool. */
export const UNDO_ENTRIES_LIMIT = 10;
/** Names kept per list in a keys-only entry. */
const KEY_NAMES_LIMIT = 30;
const DAY_MS = 86_400_000;

function size(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** Reads the record on a primary: the current shape, or the v2 shape keyed by user_id (converted, stamped `now`). */
export function readUndo(primary: Account, now: number): UndoEntry[] {
  const raw = own(primary.app_metadata, UNDO_KEY);
  if (!isPlainObject(raw)) return [];
  if (raw.v === 3 && Array.isArray(raw.entries)) {
    return raw.entries.filter((e): e is UndoEntry => isPlainObject(e) && typeof e.user === "string" && typeof e.at === "number");
  }
  // v2 (keyed by user_id, no time): kept for one more retention period from the first write that sees it.
  return Object.keys(raw)
    .filter((key) => isPlainObject(raw[key]))
    .map((key) => ({ user: key, at: now, ...(raw[key] as Record<string, unknown>) }) as UndoEntry);
}

/** Keeps the names of what an entry held, dropping the values (authorization lists stay: unlink needs them). */
export function keysOnly(entry: UndoEntry): UndoEntry {
  if (entry.keys_only) return entry;
  const out: UndoEntry = { user: entry.user, at: entry.at, keys_only: true };
  const app = [...Object.keys(entry.app_metadata ?? {}), ...(entry.app_metadata_keys ?? [])].slice(0, KEY_NAMES_LIMIT);
  const user = [...Object.keys(entry.user_metadata ?? {}), ...(entry.user_metadata_keys ?? [])].slice(0, KEY_NAMES_LIMIT);
  if (app.length > 0) out.app_metadata_keys = app;
  if (user.length > 0) out.user_metadata_keys = user;
  for (const field of ["carried_user_metadata", "carried_app_metadata", "held", "added"] as const) {
    if (entry[field] !== undefined) (out as unknown as Record<string, unknown>)[field] = entry[field];
  }
  return out;
}

export interface UndoInputs {
  now: number;
  /** Per secondary user_id: what it held off-profile. */
  held?: Record<string, Grants>;
  /** Per secondary user_id: what the link gives the primary on its behalf (carry). */
  added?: Record<string, Grants>;
  /** user_metadata keys each secondary filled in on the primary. */
  carriedUser?: Record<string, string[]>;
  carriedApp?: Record<string, string[]>;
}

/** What one secondary loses in the link (values bounded; names only when they do not fit). */
export function undoEntry(secondary: Account, primary: Account, policy: LinkingPolicy, inputs: UndoInputs = { now: 0 }): UndoEntry {
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
  let entry: UndoEntry = { user: secondary.user_id, at: inputs.now };
  if (Object.keys(app).length > 0) entry.app_metadata = app;
  if (Object.keys(user).length > 0) entry.user_metadata = user;
  const carriedUser = inputs.carriedUser?.[secondary.user_id] ?? [];
  const carriedApp = inputs.carriedApp?.[secondary.user_id] ?? [];
  if (carriedUser.length > 0) entry.carried_user_metadata = carriedUser.slice(0, KEY_NAMES_LIMIT);
  if (carriedApp.length > 0) entry.carried_app_metadata = carriedApp.slice(0, KEY_NAMES_LIMIT);
  const held = inputs.held?.[secondary.user_id];
  const added = inputs.added?.[secondary.user_id];
  if (held && !grantsEmpty(held)) entry.held = held;
  if (added && !grantsEmpty(added)) entry.added = added;
  // An entry with nothing else still says "this link was ours, on this day": unlink needs it.
  if (size({ ...entry, held: undefined, added: undefined }) > UNDO_ENTRY_LIMIT) entry = keysOnly(entry);
  return entry;
}

function grantsEmpty(g: Grants): boolean {
  return g.roles.length === 0 && g.permissions.length === 0 && g.organizations.length === 0;
}

/** Unions what two entries for the same account added (a retried link must not forget earlier grants). */
function unionGrants(a: Grants | undefined, b: Grants | undefined): Grants | undefined {
  if (!a) return b;
  if (!b) return a;
  const orgs = new Map<string, { id: string; roles: string[]; joined?: true }>();
  for (const org of [...a.organizations, ...b.organizations]) {
    const seen = orgs.get(org.id);
    orgs.set(org.id, { id: org.id, roles: [...new Set([...(seen?.roles ?? []), ...org.roles])], ...(seen?.joined || org.joined ? { joined: true as const } : {}) });
  }
  return { roles: [...new Set([...a.roles, ...b.roles])], permissions: [...new Set([...a.permissions, ...b.permissions])], organizations: [...orgs.values()] };
}

/**
 * The record after this link: older entries past retention dropped, this link's entries added
 * (replacing an earlier one for the same account, keeping what it added), newest kept first and
 * at most UNDO_ENTRIES_LIMIT. `shrink` keeps names only (when the profile would be too large).
 */
export function nextUndoRecord(existing: UndoEntry[], fresh: UndoEntry[], policy: LinkingPolicy, now: number, shrink = false): UndoRecord | undefined {
  const horizon = now - policy.undoRetentionDays * DAY_MS;
  const byUser = new Map<string, UndoEntry>();
  for (const entry of existing) if (entry.at > horizon) byUser.set(entry.user, entry);
  for (const entry of fresh) {
    // A retried link (its metadata written, the link itself failed): the earlier entry knew what
    // was carried before the primary held it; keep that.
    const earlier = byUser.get(entry.user);
    const merged: UndoEntry = { ...entry };
    const added = unionGrants(earlier?.added, entry.added);
    if (added) merged.added = added;
    for (const field of ["carried_user_metadata", "carried_app_metadata"] as const) {
      const names = [...new Set([...(earlier?.[field] ?? []), ...(entry[field] ?? [])])];
      if (names.length > 0) merged[field] = names.slice(0, KEY_NAMES_LIMIT);
    }
    byUser.set(entry.user, merged);
  }
  let entries = [...byUser.values()].sort((a, b) => b.at - a.at).slice(0, UNDO_ENTRIES_LIMIT);
  if (shrink) entries = entries.map(keysOnly);
  return entries.length > 0 ? { v: 3, entries } : undefined;
}

/** The entry for a former account, if the primary still keeps one. */
export function findUndoEntry(primary: Account, secondaryUserId: string): UndoEntry | undefined {
  return readUndo(primary, 0).find((entry) => entry.user === secondaryUserId);
}
