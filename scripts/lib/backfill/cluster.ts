// One duplicate cluster (the accounts sharing a normalised email) and what the policy does with
// it. The rules are the Action's own (action-src/decide.ts): the backfill never decides
// differently from a login by any member of the cluster, and decides nothing itself.
import { decideLinks, ineligibility, MARKER_KEY, normalizeEmail, rootConnection, UNLINKED_KEY, type Account, type Grants, type Holdings, type MetadataPatch } from "../../../action-src/decide";
import { trustOf, type LinkingPolicy } from "../../../action-src/policy";

/**
 * The fields the export job is asked for: every field the linking rules read (verification,
 * connections, blocked accounts, protected app_metadata keys, enrolled factors) and the metadata
 * they merge. Metadata is re-read live at apply time; the plan never holds it.
 */
export const EXPORT_FIELDS = ["user_id", "email", "email_verified", "created_at", "identities", "blocked", "app_metadata", "user_metadata", "multifactor"];

/** A user as the export delivers it (fields as above, all optional but user_id). */
export interface ExportedUser {
  user_id: string;
  email?: string;
  email_verified?: unknown;
  created_at?: string;
  identities?: Array<{ connection?: string; provider?: string; user_id?: string | number }>;
  blocked?: unknown;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  multifactor?: unknown;
  /**
   * Dry run only: the size of the whole exported user in bytes of JSON, kept because its metadata
   * is not (memory). The profile-size check estimates a cluster's primary after the link from it.
   */
  profile_bytes?: number;
}

export type ClusterDecision =
  /** `awaiting`: eligible members at `confirm` trust, left for the person to confirm at a login. */
  | { action: "link"; primary: string; secondaries: string[]; awaiting: number; ignored: Array<{ user_id: string; reason: string }> }
  /** The pair needs the person's confirmation: the backfill never links it; their next login asks. */
  | { action: "confirm"; reason: "confirm.required"; primary: string; ignored: Array<{ user_id: string; reason: string }> }
  | { action: "skip"; reason: string; ignored: Array<{ user_id: string; reason: string }>; primary?: string; bytes?: number };

/** The app_metadata keys a decision reads: the policy's protected and carried keys and the Action's own. */
function decisionMetadataKeys(policy: LinkingPolicy): string[] {
  return [MARKER_KEY, UNLINKED_KEY, ...policy.protectedAppMetadataKeys, ...policy.carriedAppMetadataKeys];
}

/**
 * What the dry run keeps of an exported user between reading the export and deciding: the fields
 * the decision reads, app_metadata cut to the keys the decision looks at, no user_metadata.
 */
export function forDecision(user: ExportedUser, policy: LinkingPolicy, bytes = Buffer.byteLength(JSON.stringify(user), "utf8")): ExportedUser {
  const kept: ExportedUser = {
    user_id: user.user_id,
    email: user.email,
    email_verified: user.email_verified,
    created_at: user.created_at,
    identities: Array.isArray(user.identities) ? user.identities.map((i) => ({ connection: i?.connection, provider: i?.provider, user_id: i?.user_id })) : undefined,
  };
  kept.profile_bytes = bytes;
  if (user.blocked !== undefined) kept.blocked = user.blocked;
  if (user.multifactor !== undefined) kept.multifactor = user.multifactor;
  if (user.app_metadata && typeof user.app_metadata === "object") {
    const picked = decisionMetadataKeys(policy).filter((k) => k in user.app_metadata!);
    if (picked.length > 0) kept.app_metadata = Object.fromEntries(picked.map((k) => [k, user.app_metadata![k]]));
  }
  return kept;
}

export function toAccount(user: ExportedUser): Account {
  return { ...user } as Account;
}

/**
 * The dry run's profile-size estimate: the primary's whole exported profile plus each
 * secondary's (its identity, profile data and the metadata that merges or goes to the undo
 * record). An over-estimate by the secondaries' own ids and timestamps; the apply decides on the
 * live users with the exact rule (decide/profile-size.ts).
 */
export function estimatedBytesAfterLink(primary: Account, secondaries: Account[]): number | undefined {
  const bytes = [primary, ...secondaries].map((a) => (a as ExportedUser).profile_bytes);
  return bytes.every((b) => typeof b === "number") ? (bytes as number[]).reduce((x, y) => x + y, 0) : undefined;
}

const byUserId = (a: Account, b: Account) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0);

/**
 * What the policy does with a cluster. A login by any eligible member sees the same eligible set,
 * so it reaches the same primary; ineligible members are left alone, as a login would leave them.
 */
export function decideCluster(members: Account[], policy: LinkingPolicy): ClusterDecision {
  const ignored: Array<{ user_id: string; reason: string }> = [];
  const eligible: Account[] = [];
  const email = normalizeEmail(members[0]?.email ?? "");
  for (const member of [...members].sort(byUserId)) {
    const reason = ineligibility(member, email, policy);
    if (reason) ignored.push({ user_id: member.user_id, reason });
    else eligible.push(member);
  }
  if (eligible.length < 2) return { action: "skip", reason: "skip.not_enough_eligible", ignored };
  // Decided as a login by a trusted member would decide (any of them reaches the same plan): the
  // trusted accounts link silently; members at `confirm` trust wait for the person at a login.
  const current = eligible.find((account) => trustOf(policy, rootConnection(account)) === "trusted");
  if (!current) {
    const viewed = decideLinks(eligible[0], eligible.slice(1), policy);
    const primary = viewed.kind === "none" ? eligible[0].user_id : viewed.primary;
    return viewed.kind === "none"
      ? { action: "skip", reason: viewed.reason, ignored: [...ignored, ...viewed.ignored] }
      : { action: "confirm", reason: "confirm.required", primary, ignored };
  }
  const plan = decideLinks(current, eligible.filter((account) => account !== current), policy);
  if (plan.kind === "confirm") return { action: "confirm", reason: "confirm.required", primary: plan.primary, ignored: [...ignored, ...plan.ignored] };
  if (plan.kind === "none") return { action: "skip", reason: plan.reason === "none.no_candidates" ? "skip.not_enough_eligible" : plan.reason, ignored: [...ignored, ...plan.ignored] };
  if (plan.kind === "switch") return { action: "skip", reason: "skip.already_linked", ignored };
  const byId = new Map(eligible.map((a) => [a.user_id, a]));
  const estimate = estimatedBytesAfterLink(byId.get(plan.primary)!, plan.links.map((l) => byId.get(l.secondaryUserId)!));
  if (estimate !== undefined && estimate > policy.maxProfileBytes) {
    return { action: "skip", reason: "refuse.profile_too_large", ignored: [...ignored, ...plan.ignored], primary: plan.primary, bytes: estimate };
  }
  return {
    action: "link",
    primary: plan.primary,
    secondaries: plan.links.map((l) => l.secondaryUserId).sort(),
    awaiting: plan.awaitingConfirmation,
    ignored: [...ignored, ...plan.ignored],
  };
}

/**
 * The metadata the primary must hold before `secondaries` are linked into it, as the Action
 * computes it when the primary itself logs in (so no marker: the login does not switch, and the
 * marker's key belongs to the Action alone), with what each account holds off-profile (read live
 * by the apply just before) and the time (undo entries are stamped with it). `refused` when the
 * rules refuse these links now (authorization, MFA, size); undefined when they would not link
 * exactly these accounts into this primary. `patch` is absent when nothing changes.
 */
export function metadataFor(
  primary: Account,
  secondaries: Account[],
  policy: LinkingPolicy,
  context: { now: number; holdings: Record<string, Holdings> },
): { patch?: MetadataPatch; carry?: Grants; refused?: undefined } | { refused: string } | undefined {
  const plan = decideLinks(primary, secondaries, policy, { now: context.now, holdings: context.holdings });
  if (plan.kind === "none" && plan.reason.startsWith("refuse.")) return { refused: plan.reason };
  if (plan.kind !== "link" || plan.primary !== primary.user_id || plan.links.length !== secondaries.length) return undefined;
  return { patch: plan.patch, ...(plan.carry ? { carry: plan.carry } : {}) };
}

/** An account that already holds linked identities: a cluster's established primary. */
export function isEstablished(account: Account | undefined): boolean {
  return (account?.identities?.length ?? 0) > 1;
}
