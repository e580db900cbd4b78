// What an unlink puts back, computed purely from the primary (its undo entry) and the secondary's
// id: the re-created user's metadata and grants, what comes off the primary, and the marks that
// keep the pair apart. The command (run.ts) only carries it out.
import { findUndoEntry, MARKER_KEY, readUndo, UNDO_KEY, UNLINKED_KEY, withUnlinked, type Account, type Grants, type UndoEntry } from "../../../action-src/decide";
import { own } from "../../../action-src/decide/records";

export interface Restore {
  entry: UndoEntry;
  /** PATCH for the re-created secondary: its metadata back, and the mark naming the primary. */
  secondaryPatch: { app_metadata: Record<string, unknown>; user_metadata?: Record<string, unknown> };
  /** What the secondary held before the link (given back to the re-created user). */
  grantBack: Grants;
  /** What the link gave the primary on the secondary's behalf and no other former account still accounts for. */
  takeBack: Grants;
  /** PATCH for the primary once done: the undo entry removed (null removes the key when it was the last). */
  primaryUndoPatch: { app_metadata: Record<string, unknown> };
  /** PATCH for the primary before anything else: the mark naming the secondary. */
  primaryMarkPatch: { app_metadata: Record<string, unknown> };
}

const EMPTY: Grants = { roles: [], permissions: [], organizations: [] };

/** Grants in `mine` that no entry in `others` also added (two former accounts may have brought the same role). */
function notAlsoAdded(mine: Grants, others: UndoEntry[]): Grants {
  const roles = new Set(others.flatMap((e) => e.added?.roles ?? []));
  const permissions = new Set(others.flatMap((e) => e.added?.permissions ?? []));
  const orgRoles = new Map<string, Set<string>>();
  const joined = new Set<string>();
  for (const e of others) {
    for (const org of e.added?.organizations ?? []) {
      const set = orgRoles.get(org.id) ?? new Set<string>();
      for (const r of org.roles) set.add(r);
      orgRoles.set(org.id, set);
      if (org.joined) joined.add(org.id);
    }
  }
  return {
    roles: mine.roles.filter((r) => !roles.has(r)),
    permissions: mine.permissions.filter((p) => !permissions.has(p)),
    organizations: mine.organizations
      .map((org) => ({ id: org.id, roles: org.roles.filter((r) => !orgRoles.get(org.id)?.has(r)), ...(org.joined && !joined.has(org.id) ? { joined: true as const } : {}) }))
      .filter((org) => org.roles.length > 0 || org.joined),
  };
}

/** Values of named keys as the primary holds them now (carried at the link; the primary may have changed them since). */
function pick(source: Record<string, unknown> | undefined, keys: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys ?? []) {
    const value = own(source, key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The restore for `secondaryUserId`, or undefined when the primary keeps no undo entry for it. */
export function planRestore(primary: Account, secondaryUserId: string): Restore | undefined {
  const entry = findUndoEntry(primary, secondaryUserId);
  if (!entry) return undefined;
  const app = { ...pick(primary.app_metadata, entry.carried_app_metadata), ...(entry.app_metadata ?? {}) };
  delete app[MARKER_KEY];
  delete app[UNDO_KEY];
  const user = { ...pick(primary.user_metadata, entry.carried_user_metadata), ...(entry.user_metadata ?? {}) };
  const others = readUndo(primary, 0).filter((e) => e.user !== secondaryUserId);
  const undo = others.length > 0 ? { v: 3, entries: others } : null;
  return {
    entry,
    secondaryPatch: {
      app_metadata: { ...app, [UNLINKED_KEY]: [primary.user_id] },
      ...(Object.keys(user).length > 0 ? { user_metadata: user } : {}),
    },
    grantBack: entry.held ?? EMPTY,
    takeBack: notAlsoAdded(entry.added ?? EMPTY, others),
    primaryUndoPatch: { app_metadata: { [UNDO_KEY]: undo } },
    primaryMarkPatch: { app_metadata: { [UNLINKED_KEY]: withUnlinked(primary, secondaryUserId) } },
  };
}

/** One line per thing the unlink will do, for the operator to read before saying yes. */
export function describeRestore(primary: string, secondary: string, restore: Restore): string[] {
  const count = (g: Grants) => `${g.roles.length} role(s), ${g.permissions.length} permission(s), ${g.organizations.filter((o) => o.joined).length} Organization membership(s), ${g.organizations.reduce((n, o) => n + o.roles.length, 0)} Organization role(s)`;
  const keys = (r: Record<string, unknown> | undefined) => Object.keys(r ?? {}).filter((k) => k !== UNLINKED_KEY);
  return [
    `unlink ${secondary} from ${primary} (Auth0 re-creates ${secondary} as its own user, without metadata)`,
    `restore onto ${secondary}: app_metadata ${JSON.stringify(keys(restore.secondaryPatch.app_metadata))}, user_metadata ${JSON.stringify(keys(restore.secondaryPatch.user_metadata))}${restore.entry.keys_only ? " (the record kept only key names: values are not restored)" : ""}`,
    `give back to ${secondary}: ${count(restore.grantBack)}`,
    `take off ${primary} (carried at the link): ${count(restore.takeBack)}`,
    `remove the undo entry from ${primary}, and mark both accounts so that neither the Action nor the backfill links them again`,
  ];
}

/** True when nothing of `g` is left to write. */
export function isEmpty(g: Grants): boolean {
  return g.roles.length === 0 && g.permissions.length === 0 && g.organizations.length === 0;
}

export { UNLINKED_KEY };
