// Carries out a plan against the Management API and the post-login api.
// The rule that matters: setPrimaryUser only after the current identity is confirmed linked,
// and never finish a login as a user that may no longer exist.
import type { PostLoginApi } from "./auth0-types";
import { holdsIdentity, MARKER_KEY, markerFor, type Plan } from "./decide";
import { ManagementApiError, type ManagementApi } from "./management";

export interface ActResult {
  reason: string;
  linked: string[];
  switched: boolean;
  /** The login must be denied: whether the current user still exists is unknown. */
  deny?: boolean;
  /** The Management API failed (failClosed denies). */
  unavailable?: boolean;
  error?: string;
}

export interface ActContext {
  digest: string;
  now: number;
  snoozeMs: number;
}

type LinkPlan = Extract<Plan, { kind: "link" }>;

/** Refusals looked at again after the snooze (an operator or the person may change what caused them). */
const SNOOZED_REFUSALS = new Set<string>([
  "refuse.metadata_conflict",
  "refuse.too_many_accounts",
  "refuse.profile_too_large",
  "refuse.authorization_differs",
  "refuse.mfa_downgrade",
  "refuse.search_incomplete",
  // The account the person confirmed became ineligible meanwhile: asked again after the snooze.
  "refuse.confirmed_ineligible",
]);

/** Two established primaries: looked at again after an hour (an operator may have reconciled them). */
const CONFLICT_SNOOZE_MS = 60 * 60 * 1000;

/** Ends the login as the primary; a primary with MFA enrolled challenges this login as it would its own. */
function switchTo(api: PostLoginApi, primary: string, primaryHasMfa: boolean): void {
  api.authentication.setPrimaryUser(primary);
  // Assumption (not settled by Auth0's docs): MFA requested in the Action that switches applies to
  // the user the login ends as. Without it, a second account would sign in past the primary's MFA.
  if (primaryHasMfa) api.multifactor.enable("any", { allowRememberBrowser: false });
}

export async function carryOut(plan: Plan, mgmt: ManagementApi, api: PostLoginApi, context: ActContext): Promise<ActResult> {
  const snooze = () => api.user.setAppMetadata(MARKER_KEY, markerFor(context.digest, "snoozed", context.now + context.snoozeMs));
  switch (plan.kind) {
    case "none":
      // Only "nobody to link" is final; a refusal is looked at again after the snooze.
      if (plan.reason === "none.no_candidates" || plan.reason === "skip.unlinked") api.user.setAppMetadata(MARKER_KEY, markerFor(context.digest, "decided"));
      else if (SNOOZED_REFUSALS.has(plan.reason)) snooze();
      // Not final (an operator may reconcile them), but not looked up on every login either.
      else if (plan.reason === "refuse.conflicting_primaries") {
        api.user.setAppMetadata(MARKER_KEY, markerFor(context.digest, "snoozed", context.now + CONFLICT_SNOOZE_MS));
      }
      return { reason: plan.reason, linked: [], switched: false };
    case "confirm":
      // Until the person can be asked, the pair is left alone and not looked up on every login.
      snooze();
      return { reason: plan.reason, linked: [], switched: false };
    case "switch":
      // Auth0 returned the primary holding our identity: the link is confirmed by the server.
      switchTo(api, plan.primary, plan.primaryHasMfa);
      return { reason: plan.reason, linked: [], switched: true };
    case "link":
      return link(plan, mgmt, api, context, snooze);
  }
}

/** refused: Auth0 said no (4xx); failed: it answered with a failure and did not link; unknown: no answer and not visible yet. */
type Outcome = "linked" | "raced" | "refused" | "failed" | "unknown";

/** What happened to one link: answered, refused, or lost and then re-read from the primary. */
async function attempt(plan: LinkPlan, step: LinkPlan["links"][number], mgmt: ManagementApi): Promise<{ outcome: Outcome; error?: ManagementApiError }> {
  try {
    await mgmt.link(plan.primary, step);
    return { outcome: "linked" };
  } catch (caught) {
    const error = caught instanceof ManagementApiError ? caught : new ManagementApiError("unavailable");
    // Rate limited, a rejected token, the budget spent: not done, and not Auth0 saying no.
    if (!error.refused && !error.outcomeUnknown) return { outcome: "failed", error };
    // A refusal may mean a concurrent login linked it; a lost answer may mean Auth0 did it anyway.
    try {
      const primary = await mgmt.getUser(plan.primary);
      if (holdsIdentity(primary, step)) return { outcome: "raced" };
      // A request without an answer may still commit after this read; an answered failure will not.
      return { outcome: error.refused ? "refused" : error.code === "timeout" || error.code === "no_answer" ? "unknown" : "failed", error };
    } catch (reread) {
      // The primary is gone: nothing can have been linked into it.
      if (reread instanceof ManagementApiError && reread.code === "not_found") return { outcome: "refused", error };
      return { outcome: "unknown", error };
    }
  }
}

async function link(plan: LinkPlan, mgmt: ManagementApi, api: PostLoginApi, context: ActContext, snooze: () => void): Promise<ActResult> {
  // A plan decided without holdings never links: roles, memberships and factors were not looked at.
  if (!plan.authorizationChecked) return { reason: "error.unexpected", linked: [], switched: false, error: "holdings_unread" };
  // Metadata first: Auth0 discards a secondary's metadata when it is linked. The undo record
  // (with what carry adds) is written before the grants, so an unlink can always take them back.
  if (plan.patch) await mgmt.updateMetadata(plan.primary, plan.patch);
  // carry: the primary receives what the secondaries held before any of them is deleted. A
  // failure here stops before linking (the person keeps both accounts, whole).
  if (plan.carry) await mgmt.grant(plan.primary, plan.carry);

  const linked: string[] = [];
  let raced = false;
  let failure: ManagementApiError | undefined;
  for (const step of plan.links) {
    const result = await attempt(plan, step, mgmt);
    if (result.outcome === "linked" || result.outcome === "raced") {
      linked.push(step.secondaryUserId);
      raced ||= result.outcome === "raced";
      continue;
    }
    failure = result.error;
    if (step.isCurrent) {
      if (result.outcome === "unknown") {
        // The current user may now be a secondary that no longer exists: no tokens for it.
        return { reason: "error.unknown_outcome", linked, switched: false, deny: true, error: result.error?.code };
      }
      if (result.outcome === "failed") {
        // Not linked, the current user is intact; the next login tries again (failClosed denies).
        return { reason: "error.management_api", linked, switched: false, error: result.error?.code, unavailable: true };
      }
      // Refused: the current user is intact; ask again only after the snooze.
      snooze();
      return { reason: "refuse.link_rejected", linked, switched: false, error: result.error?.code };
    }
    // Another secondary failed: keep going; it is retried at a later login (no final marker).
  }

  const currentLinked = plan.links.some((step) => step.isCurrent) && linked.includes(plan.links[0].secondaryUserId);
  if (plan.switchToPrimary && currentLinked) switchTo(api, plan.primary, plan.primaryHasMfa);
  // Remember the decision only when everything is done, so a partial run is retried next login.
  if (!plan.switchToPrimary) {
    if (failure === undefined && plan.awaitingConfirmation === 0) api.user.setAppMetadata(MARKER_KEY, markerFor(context.digest, "decided"));
    else if (failure?.refused) snooze();
  }
  const reason = failure !== undefined ? "link.partial" : raced ? "link.race_already_linked" : "link.done";
  return { reason, linked, switched: plan.switchToPrimary && currentLinked, error: failure?.code };
}
