// Carries out a plan against the Management API and the post-login api.
// The rule that matters: setPrimaryUser only after the current identity is confirmed linked.
import type { PostLoginApi } from "./auth0-types";
import { holdsIdentity, MARKER_KEY, markerFor, type Plan } from "./decide";
import { ManagementApiError, type ManagementApi } from "./management";

export interface ActResult {
  reason: string;
  linked: string[];
  switched: boolean;
}

type LinkPlan = Extract<Plan, { kind: "link" }>;

export async function carryOut(plan: Plan, email: string, mgmt: ManagementApi, api: PostLoginApi): Promise<ActResult> {
  switch (plan.kind) {
    case "none":
      api.user.setAppMetadata(MARKER_KEY, markerFor(email));
      return { reason: plan.reason, linked: [], switched: false };
    case "switch":
      // Auth0 returned the primary holding our identity: the link is confirmed by the server.
      api.authentication.setPrimaryUser(plan.primary);
      return { reason: plan.reason, linked: [], switched: true };
    case "link":
      return link(plan, email, mgmt, api);
  }
}

/** A link refused with 400/409 may have been done by a concurrent login: ask the primary. */
async function linkedByRace(err: unknown, plan: LinkPlan, step: LinkPlan["links"][number], mgmt: ManagementApi): Promise<boolean> {
  if (!(err instanceof ManagementApiError) || (err.code !== "conflict" && err.code !== "bad_request")) return false;
  const primary = await mgmt.getUser(plan.primary);
  return holdsIdentity(primary, step);
}

async function link(plan: LinkPlan, email: string, mgmt: ManagementApi, api: PostLoginApi): Promise<ActResult> {
  // Metadata first: Auth0 discards a secondary's metadata when it is linked.
  if (plan.patch) await mgmt.updateMetadata(plan.primary, plan.patch);

  const linked: string[] = [];
  let raced = false;
  let failure: unknown;
  let currentLinked = false;
  for (const step of plan.links) {
    try {
      await mgmt.link(plan.primary, step);
    } catch (err) {
      if (!(await linkedByRace(err, plan, step, mgmt))) {
        // The current identity goes first: if it fails there is nothing to switch to.
        if (step.isCurrent) throw err;
        failure = err;
        continue;
      }
      raced = true;
    }
    linked.push(step.secondaryUserId);
    if (step.isCurrent) currentLinked = true;
  }

  if (plan.switchToPrimary && currentLinked) api.authentication.setPrimaryUser(plan.primary);
  // Remember the decision only when everything is done, so a partial run is retried next login.
  if (!plan.switchToPrimary && failure === undefined) api.user.setAppMetadata(MARKER_KEY, markerFor(email));

  const reason = failure !== undefined ? "link.partial" : raced ? "link.race_already_linked" : "link.done";
  return { reason, linked, switched: plan.switchToPrimary && currentLinked };
}
