// npm run unlink, step by step. Every step can be repeated, so a run cut off anywhere is finished
// by running the same command again:
//   1. mark the primary (the pair is never relinked from here on, whatever happens next);
//   2. DELETE the identity (Auth0 re-creates the secondary as its own user, no metadata);
//   3. restore onto the re-created user: its metadata and the mark naming the primary;
//   4. give back what it held (roles, permissions, memberships and their roles);
//   5. take off the primary what the link carried onto it;
//   6. remove the undo entry (last: until then a rerun still knows what to restore).
import { normalizeEmail, splitUserId, unlinkedFrom, type Account } from "../../../action-src/decide";
import { CliError } from "../target";
import { describeRestore, isEmpty, planRestore, type Restore } from "./restore";
import type { UnlinkTenant } from "./tenant";

export interface UnlinkOptions {
  secondary: string;
  dryRun: boolean;
  /** Asked before anything changes; false stops with nothing changed. */
  confirm: (lines: string[]) => Promise<boolean>;
  print: (line: string) => void;
}

/** Where the pair stands: linked, half-way (identity already removed), or done. */
type Found = { state: "linked" | "resume"; primary: Account; restore: Restore } | { state: "done"; primary: string };

async function locate(api: UnlinkTenant, secondary: string): Promise<Found> {
  const holder = await api.holderOf(secondary);
  if (holder) {
    const restore = planRestore(holder, secondary);
    if (!restore) {
      throw new CliError(`${holder.user_id} holds ${secondary}, but keeps no undo record for it (linked before undo records, or past undoRetentionDays). Nothing was changed; unlink it in the dashboard if you must, knowing nothing will be restored.`);
    }
    return { state: "linked", primary: holder, restore };
  }
  // Not held by anyone: an earlier run may have removed the identity already.
  const standalone = await api.getUser(secondary);
  if (!standalone) throw new CliError(`no user holds the identity ${secondary}, and no user ${secondary} exists. Nothing was changed; check the id (provider|id, as the secondary had it before the link).`);
  const email = typeof standalone.email === "string" ? standalone.email : "";
  const others = email ? await api.usersByEmail(email) : [];
  const marked = others.filter((u) => u.user_id !== secondary && unlinkedFrom(u).includes(secondary));
  for (const primary of marked) {
    const restore = planRestore(primary, secondary);
    if (restore) return { state: "resume", primary, restore };
  }
  const done = marked.find((u) => unlinkedFrom(standalone).includes(u.user_id));
  if (done) return { state: "done", primary: done.user_id };
  throw new CliError(`${secondary} is its own user and not a secondary of anyone${normalizeEmail(email) ? "" : " (it has no email to find an earlier unlink by)"}. Nothing was changed.`);
}

export async function runUnlink(api: UnlinkTenant, options: UnlinkOptions): Promise<number> {
  const { secondary, print } = options;
  if (splitUserId(secondary).provider === "") throw new CliError(`"${secondary}" is not a user_id: give it as provider|id, e.g. google-oauth2|1234`, 2);
  const found = await locate(api, secondary);
  if (found.state === "done") {
    print(`${secondary} is already unlinked from ${found.primary} and restored: nothing to do.`);
    return 0;
  }
  const { primary, restore } = found;
  const lines = describeRestore(primary.user_id, secondary, restore);
  if (found.state === "resume") lines.unshift(`resuming: the identity was already removed from ${primary.user_id} by an earlier run`);
  for (const line of lines) print(`  ${line}`);
  if (options.dryRun) {
    print("dry run: nothing was changed.");
    return 0;
  }
  if (!(await options.confirm(lines))) {
    print("nothing was changed.");
    return 1;
  }

  let step = "mark the primary";
  try {
    await api.update(primary.user_id, restore.primaryMarkPatch);
    if (found.state === "linked") {
      step = "unlink the identity";
      await api.unlink(primary.user_id, secondary);
    }
    step = "restore the re-created user's metadata";
    await api.update(secondary, restore.secondaryPatch);
    step = "give back what it held";
    if (!isEmpty(restore.grantBack)) await api.grant(secondary, restore.grantBack);
    step = "take off the primary what the link carried";
    if (!isEmpty(restore.takeBack)) await api.revoke(primary.user_id, restore.takeBack);
    step = "remove the undo entry";
    await api.update(primary.user_id, restore.primaryUndoPatch);
  } catch (err) {
    throw new CliError(`unlink stopped at "${step}": ${(err as Error).message}. Run the same command again to finish (every step can be repeated).`);
  }
  print(`done: ${secondary} is its own user again, restored, and will not be linked with ${primary.user_id} again (docs/unlink.md says how to allow it).`);
  return 0;
}
