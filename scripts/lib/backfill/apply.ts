// Applies a reviewed plan: cluster by cluster, re-read the members live, re-decide with the same
// policy, and link only what the plan says and the tenant still allows. Each link is journalled
// before the next request, so an interrupted run resumes without linking anything twice.
import { holdsIdentity, mainIdentity, mergeMetadata, type Account } from "../../../action-src/decide";
import type { LinkingPolicy } from "../../../action-src/policy";
import { decideCluster } from "./cluster";
import type { Journal } from "./journal";
import type { ClusterLine, LoadedPlan } from "./plan-file";
import type { ProgressReporter, ProgressState } from "./progress";
import { Stopped, TenantApiError, type TenantApi } from "./tenant-api";

export type ClusterOutcome =
  | "linked"
  | "partly_linked"
  | "already_linked"
  | "not_planned"
  | "changed.primary_missing"
  | "changed.primary"
  | "changed.ineligible"
  | "failed";

export interface ApplyResult {
  outcomes: Record<string, number>;
  linksMade: number;
  linksResumed: number;
  /** Planned links not made because the tenant changed (member gone, no longer eligible). */
  linksDropped: number;
  /** Accounts with the cluster's email that appeared after the plan: left for the Action. */
  newAccounts: number;
  failures: string[];
  stopped: boolean;
  requests: number;
  rateLimited: number;
  /** Time spent waiting for the rate limit to refill, and the bucket size the tenant reported. */
  pacedMs: number;
  bucket: number | undefined;
  elapsedMs: number;
}

export interface ApplyOptions {
  plan: LoadedPlan;
  api: TenantApi;
  journal: Journal;
  policy: LinkingPolicy;
  progress?: ProgressReporter;
  /** Aborted by Ctrl-C: stops cleanly after the request in flight (waits end at once). */
  stop?: AbortSignal;
}

/** Auth0 refuses to change credentials or scopes mid-run: no point going on. */
function isFatal(err: unknown): boolean {
  return err instanceof TenantApiError && (err.status === 401 || err.status === 403);
}


export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { plan, api, journal, policy } = options;
  const started = Date.now();
  const result: ApplyResult = { outcomes: {}, linksMade: 0, linksResumed: 0, linksDropped: 0, newAccounts: 0, failures: [], stopped: false, requests: 0, rateLimited: 0, pacedMs: 0, bucket: undefined, elapsedMs: 0 };
  const state: ProgressState = { clustersDone: 0, clustersTotal: plan.end.clusters, links: 0, linksTotal: plan.end.links, startedAt: started, resumedLinks: 0 };
  const checkStop = () => {
    if (options.stop?.aborted) throw new Stopped();
  };
  const count = (outcome: string) => (result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1);

  async function applyCluster(cluster: ClusterLine): Promise<ClusterOutcome> {
    if (cluster.action !== "link" || !cluster.primary || !cluster.secondaries) return "not_planned";
    const planned = new Set(cluster.members);
    const live = new Map<string, Account>();
    for (const email of cluster.lookup) {
      checkStop();
      for (const user of await api.usersByEmail(email)) live.set(user.user_id, user);
    }
    result.newAccounts += [...live.keys()].filter((id) => !planned.has(id)).length;
    const primary = live.get(cluster.primary);
    if (!primary) return "changed.primary_missing";

    // Already linked (by the Action, or by an earlier run whose journal line was lost).
    const held = cluster.secondaries.filter((id) => !live.has(id) && holdsIdentity(primary, mainIdentity({ user_id: id })));
    for (const id of held) if (!journal.linked.has(id)) journal.append({ event: "linked", cluster: cluster.id, secondary: id });
    const members = [...live.values()].filter((u) => planned.has(u.user_id));
    const decision = decideCluster(members, policy);
    if (decision.action !== "link") {
      if (held.length === cluster.secondaries.length) return "already_linked";
      result.linksDropped += cluster.secondaries.length - held.length;
      return decision.reason === "refuse.conflicting_primaries" ? "changed.primary" : "changed.ineligible";
    }
    if (decision.primary !== cluster.primary) {
      result.linksDropped += cluster.secondaries.length - held.length;
      return "changed.primary";
    }
    const toLink = decision.secondaries.filter((id) => cluster.secondaries!.includes(id)).map((id) => live.get(id)!);
    result.linksDropped += cluster.secondaries.length - held.length - toLink.length;
    if (toLink.length === 0) return held.length > 0 ? "already_linked" : "changed.ineligible";

    // Auth0 discards a secondary's metadata on link: merge it into the primary first (primary
    // wins). No marker: its key derives from the Action's write-only secret.
    const merged = mergeMetadata(primary, toLink, policy);
    if (merged.conflict !== undefined) return "changed.ineligible";
    const patch = merged.patch;
    if (patch) {
      checkStop();
      await api.updateMetadata(primary.user_id, patch);
    }
    let failed = 0;
    for (const secondary of toLink) {
      checkStop();
      try {
        await api.link(primary.user_id, mainIdentity(secondary));
      } catch (err) {
        if (isFatal(err) || err instanceof Stopped) throw err;
        // A login may have linked it meanwhile: that is success, anything else is a failure.
        const status = err instanceof TenantApiError ? err.status : undefined;
        const now = status === 400 || status === 409 ? await api.getUser(primary.user_id).catch(() => undefined) : undefined;
        if (!now || !holdsIdentity(now, mainIdentity(secondary))) {
          failed++;
          result.failures.push(`cluster ${cluster.id}: linking ${secondary.user_id} into ${primary.user_id}: ${(err as Error).message}`);
          continue;
        }
      }
      journal.append({ event: "linked", cluster: cluster.id, secondary: secondary.user_id });
      result.linksMade++;
      state.links++;
      options.progress?.update(state);
    }
    if (failed > 0) return "failed";
    return toLink.length + held.length === cluster.secondaries.length ? "linked" : "partly_linked";
  }

  try {
    for await (const cluster of plan.clusters()) {
      const previous = journal.done.get(cluster.id);
      if (previous !== undefined) {
        count(previous);
        const resumed = (cluster.secondaries ?? []).filter((id) => journal.linked.has(id)).length;
        result.linksResumed += resumed;
        state.links += resumed;
        state.resumedLinks += resumed;
        state.clustersDone++;
        continue;
      }
      let outcome: ClusterOutcome;
      try {
        outcome = await applyCluster(cluster);
      } catch (err) {
        if (err instanceof Stopped || isFatal(err)) throw err;
        outcome = "failed";
        result.failures.push(`cluster ${cluster.id}: ${(err as Error).message}`);
      }
      // A failed cluster is not marked done: the next run tries it again.
      if (outcome !== "failed") journal.append({ event: "done", cluster: cluster.id, outcome });
      count(outcome);
      state.clustersDone++;
      options.progress?.update(state);
    }
  } catch (err) {
    if (!(err instanceof Stopped)) throw err;
    result.stopped = true;
  } finally {
    options.progress?.update(state, true);
    result.requests = api.requests;
    result.rateLimited = api.rateLimited;
    result.pacedMs = api.pacer.waitedMs;
    result.bucket = api.pacer.limit;
    result.elapsedMs = Date.now() - started;
  }
  return result;
}

const n = (x: number) => x.toLocaleString("en-US");

export function formatApplyResult(r: ApplyResult): string {
  const lines = [
    r.stopped ? "Stopped before the end (interrupted). Run the same command again to resume: finished work is skipped." : "Backfill applied.",
    `  links made now            ${n(r.linksMade)}${r.linksResumed ? ` (and ${n(r.linksResumed)} in earlier runs)` : ""}`,
    `  clusters                  ${Object.entries(r.outcomes).sort().map(([k, v]) => `${k} ${n(v)}`).join(", ") || "none"}`,
  ];
  if (r.linksDropped) lines.push(`  planned links not made    ${n(r.linksDropped)} (the member is gone or no longer eligible)`);
  if (r.newAccounts) lines.push(`  accounts newer than the plan ${n(r.newAccounts)} (left for the Action at their next login)`);
  const paced = r.pacedMs > 0 ? `, ${(r.pacedMs / 1000).toFixed(1)} s of it waiting for the rate limit${r.bucket ? ` (bucket of ${n(r.bucket)})` : ""}` : "";
  lines.push(`  requests                  ${n(r.requests)} in ${(r.elapsedMs / 1000).toFixed(1)} s${paced}${r.rateLimited ? `, ${n(r.rateLimited)} answered 429 and retried` : ""}`);
  for (const f of r.failures.slice(0, 20)) lines.push(`  FAILED ${f}`);
  if (r.failures.length > 20) lines.push(`  ... and ${r.failures.length - 20} more failures`);
  return lines.join("\n");
}
