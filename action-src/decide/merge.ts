// The metadata a primary must hold before its secondaries are linked (Auth0 discards theirs).
import type { LinkingPolicy } from "../policy";
import type { Account } from "./account";
import { MARKER_KEY, UNDO_KEY, type Marker } from "./markers";
import type { MetadataPatch } from "./plan";
import { copy, isPlainObject, own, put } from "./records";
import { nextUndoRecord, readUndo, undoEntry, type UndoEntry, type UndoInputs } from "./undo";

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

export type MergeResult = { patch?: MetadataPatch; conflict?: undefined } | { conflict: string; patch?: undefined };

/** What the undo record needs besides the accounts: the time, the holdings moved, and whether to keep names only. */
export interface MergeInputs extends Partial<UndoInputs> {
  /** Keep the undo record to key names (the profile would be too large otherwise). */
  shrink?: boolean;
}

/**
 * Metadata the primary must hold before the secondaries are linked (Auth0 discards theirs):
 * user_metadata filled in (the primary wins), only the policy's carried app_metadata keys, and an
 * undo record of what was discarded or carried (see undo.ts). A carried key whose values differ
 * is a conflict: carrying either value could lift a restriction, so nothing is linked.
 * `marker`, when given, is written on the primary in the same call.
 */
export function mergeMetadata(primary: Account, secondaries: Account[], policy: LinkingPolicy, marker?: Marker, inputs: MergeInputs = {}): MergeResult {
  const now = inputs.now ?? 0;
  const primaryApp = primary.app_metadata ?? {};
  const app = copy(primaryApp);
  const carriedApp: Record<string, string[]> = {};
  for (const key of policy.carriedAppMetadataKeys) {
    const values = [primary, ...secondaries].map((account) => own(account.app_metadata, key)).filter((v) => v !== undefined && v !== null);
    if (new Set(values.map((v) => JSON.stringify(v))).size > 1) return { conflict: key };
    if (values.length > 0 && own(primaryApp, key) === undefined) put(app, key, values[0]);
    for (const secondary of secondaries) {
      const value = own(secondary.app_metadata, key);
      if (value !== undefined && value !== null) (carriedApp[secondary.user_id] ??= []).push(key);
    }
  }
  let user = copy(primary.user_metadata ?? {});
  const carriedUser: Record<string, string[]> = {};
  for (const secondary of secondaries) {
    const theirs = secondary.user_metadata ?? {};
    const fills = Object.keys(theirs).filter((key) => own(user, key) === undefined);
    if (fills.length > 0) carriedUser[secondary.user_id] = fills;
    user = fillMissing(user, theirs);
  }

  const fresh: UndoEntry[] = [];
  const undoInputs: UndoInputs = { now, held: inputs.held, added: inputs.added, carriedUser, carriedApp };
  for (const secondary of secondaries) {
    fresh.push(undoEntry(secondary, primary, policy, undoInputs));
  }
  const existing = readUndo(primary, now);
  const record = nextUndoRecord(existing, fresh, policy, now, inputs.shrink);
  if (record) put(app, UNDO_KEY, record);
  // Every entry expired: the key is removed (a top-level null removes it in Auth0's PATCH).
  else if (own(primaryApp, UNDO_KEY) !== undefined) put(app, UNDO_KEY, null);
  if (marker) put(app, MARKER_KEY, marker);

  const patch: MetadataPatch = {};
  const appChanged = changedKeys(primaryApp, app);
  const userChanged = changedKeys(primary.user_metadata ?? {}, user);
  if (appChanged) patch.app_metadata = appChanged;
  if (userChanged) patch.user_metadata = userChanged;
  return patch.app_metadata || patch.user_metadata ? { patch } : {};
}
