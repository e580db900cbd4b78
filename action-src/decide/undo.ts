// The undo record: what a link discarded, kept on the primary so an unlink can restore it.
import type { LinkingPolicy } from "../policy";
import type { Account } from "./account";
import { MARKER_KEY, UNDO_KEY } from "./markers";
import { own, put } from "./records";

/** Per secondary, what the link discards and the merge did not carry: bounded so a profile stays small. */
const UNDO_ENTRY_LIMIT = 4_000;
export const UNDO_ENTRIES_LIMIT = 10;

export function undoEntry(secondary: Account, primary: Account, policy: LinkingPolicy): Record<string, unknown> {
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
