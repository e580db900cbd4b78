// One duplicate cluster (the accounts sharing a normalised email) and what the policy does with
// it. The rules are the Action's own (action-src/decide.ts): the backfill never decides
// differently from a login by any member of the cluster.
import { decideLinks, ineligibility, normalizeEmail, type Account, type IgnoredAccount } from "../../../action-src/decide";
import type { LinkingPolicy } from "../../../action-src/policy";

/** The fields the export job delivers for each user (and the backfill keeps). */
export interface ExportedUser {
  user_id: string;
  email?: string;
  email_verified?: unknown;
  created_at?: string;
  identities?: Array<{ connection?: string; provider?: string; user_id?: string | number }>;
}

export type ClusterDecision =
  | { action: "link"; primary: string; secondaries: string[]; ignored: IgnoredAccount[] }
  | { action: "skip"; reason: "skip.not_enough_eligible" | "refuse.conflicting_primaries" | "skip.already_linked"; ignored: IgnoredAccount[] };

export function toAccount(user: ExportedUser): Account {
  return { user_id: user.user_id, email: user.email, email_verified: user.email_verified, created_at: user.created_at, identities: user.identities };
}

/**
 * What the policy does with a cluster. A login by any eligible member sees the same eligible set,
 * so it reaches the same primary; ineligible members are left alone, as a login would leave them.
 */
export function decideCluster(members: Account[], policy: LinkingPolicy): ClusterDecision {
  const ignored: IgnoredAccount[] = [];
  const eligible: Account[] = [];
  const email = normalizeEmail(members[0]?.email ?? "");
  for (const member of [...members].sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0))) {
    const reason = ineligibility(member, email, policy);
    if (reason) ignored.push({ user_id: member.user_id, reason });
    else eligible.push(member);
  }
  if (eligible.length < 2) return { action: "skip", reason: "skip.not_enough_eligible", ignored };
  const plan = decideLinks(eligible[0], eligible.slice(1), policy);
  if (plan.kind === "none") {
    return { action: "skip", reason: plan.reason === "refuse.conflicting_primaries" ? "refuse.conflicting_primaries" : "skip.not_enough_eligible", ignored };
  }
  if (plan.kind === "switch") return { action: "skip", reason: "skip.already_linked", ignored };
  if (plan.kind === "confirm") return { action: "skip", reason: "skip.not_enough_eligible", ignored };
  return { action: "link", primary: plan.primary, secondaries: plan.links.map((l) => l.secondaryUserId).sort(), ignored };
}
