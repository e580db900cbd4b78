// Applies a reviewed plan: several clusters at once (a small pool of workers sharing one pacer),
// one request at a time within a cluster. Each cluster's members are re-read live and re-decided
// with the same rules, and only what the plan says and the tenant still allows is linked. Each
// link is journalled before the cluster's next request, so an interrupted run resumes without
// linking anything twice, and the summary counts every run exactly.
import { holdsIdentity, mainIdentity, type Account } from "../../../action-src/decide";
import type { LinkingPolicy } from "../../../action-src/policy";
import { decideCluster, isEstablished, metadataFor } from "./cluster";
import type { ClusterTally, Journal } from "./journal";
import { holdsAnything, type Holdings } from "../../../action-src/decide";
import type { ClusterLine, LoadedPlan } from "./plan-file";
import type { ProgressReporter, ProgressState } from "./progress";
import { Stopped, TenantApiError, type TenantApi } from "./tenant-api";

export const DEFAULT_CONCURRENCY = 16;

export interface ApplyResult {
  planned: { clusters: number; links: number };
  /** Every run of this plan, from the journal. */
  linksMade: number;
  linksMadeNow: number;
  linksAlready: number;
  /** Planned links not made, by the cluster's outcome. */
  notMade: Record<string, number>;
  /** Finished clusters by outcome. */
  clusters: Record<string, number>;
  /** Clusters not finished (stopped, failed): tried again by the next run. */
  unfinished: { clusters: number; links: number };
  newAccounts: number;
  failures: string[];
  stopped: boolean;
  requests: number;
  rateLimited: number;
  /** Time workers spent waiting for the rate limit, the bucket the tenant reported, the refill measured. */
  pacedMs: number;
  bucket: number | undefined;
  refill: number | undefined;
  concurrency: number;
  elapsedMs: number;
}

export interface ApplyOptions {
  plan: LoadedPlan;
  api: TenantApi;
  journal: Journal;
  policy: LinkingPolicy;
  /** Clusters worked on at once. */
  concurrency?: number;
  progress?: ProgressReporter;
  /** Aborted by Ctrl-C: stops cleanly after the requests in flight (waits end at once). */
  stop?: AbortSignal;
}

/** Auth0 refuses to change credentials or scopes mid-run: no point going on. */
function isFatal(err: unknown): boolean {
  return err instanceof TenantApiError && (err.status === 401 || err.status === 403);
}

const bump = (counts: Record<string, number>, key: string, by = 1) => {
  if (by > 0) counts[key] = (counts[key] ?? 0) + by;
};

export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { plan, api, journal, policy } = options;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const started = Date.now();
  const failures: string[] = [];
  let linksMadeNow = 0;
  let fatal: unknown;
  const state: ProgressState = { clustersDone: journal.done.size, clustersTotal: plan.end.clusters, links: journal.linked.size, linksTotal: plan.end.links, startedAt: started, resumedLinks: journal.linked.size };
  const checkStop = () => {
    if (options.stop?.aborted || fatal) throw new Stopped();
  };

  async function applyCluster(cluster: ClusterLine): Promise<ClusterTally | undefined> {
    const planned = new Set(cluster.members);
    const live = new Map<string, Account>();
    for (const email of cluster.lookup) {
      checkStop();
      for (const user of await api.usersByEmail(email)) live.set(user.user_id, user);
    }
    const newer = [...live.keys()].filter((id) => !planned.has(id)).length;
    const primary = live.get(cluster.primary);
    // Secondaries already inside the planned primary: linked by an earlier run of this plan (in
    // the journal, or sent just before a crash cut the answer off) or by a login since the plan.
    const held = primary ? cluster.secondaries.filter((id) => !live.has(id) && holdsIdentity(primary, mainIdentity({ user_id: id }))) : [];
    for (const id of held) if (journal.attempted.has(id) && !journal.linked.has(id)) journal.append({ event: "linked", cluster: cluster.n, secondary: id });
    const heldByUs = held.filter((id) => journal.linked.has(id)).length;
    const open = cluster.secondaries.length - held.length;
    const tally = (outcome: string, made = heldByUs, notMade = open): ClusterTally => ({ outcome, made, already: held.length - heldByUs, notMade, newer });
    if (!primary) {
      const madeEarlier = cluster.secondaries.filter((id) => journal.linked.has(id)).length;
      return tally("changed.primary_missing", madeEarlier, cluster.secondaries.length - madeEarlier);
    }
    if (open === 0) return tally(heldByUs > 0 ? "linked" : "already_linked");

    const decision = decideCluster([...live.values()].filter((u) => planned.has(u.user_id)), policy);
    if (decision.action === "confirm") return tally("confirm");
    if (decision.action === "skip") return tally(decision.reason === "refuse.conflicting_primaries" ? "changed.primary" : "changed.ineligible");
    if (decision.primary !== cluster.primary) return tally("changed.primary");
    // An account holding linked identities that took this email since the plan would be a second
    // established primary once these links are made: the Action could never reconcile the two.
    const everyone = decideCluster([...live.values()], policy);
    if ((everyone.action === "skip" && everyone.reason === "refuse.conflicting_primaries") || (everyone.action !== "skip" && !planned.has(everyone.primary) && isEstablished(live.get(everyone.primary)))) {
      return tally("changed.established_newcomer");
    }
    const toLink = decision.secondaries.filter((id) => cluster.secondaries.includes(id)).map((id) => live.get(id)!);
    if (toLink.length === 0) return tally("changed.ineligible");
    // What each account holds off-profile, read live just before the link (as the Action does at
    // login): the same decision refuses, or carries, exactly as a login would.
    // The primary's roles and memberships only when a secondary holds anything to compare (its
    // factors always), as in the Action.
    const holdings: Record<string, Holdings> = {};
    for (const account of toLink) {
      checkStop();
      holdings[account.user_id] = await api.holdings(account.user_id);
    }
    checkStop();
    const primaryFactors = await api.factors(primary.user_id);
    const needed = Object.values(holdings).some(holdsAnything);
    holdings[primary.user_id] = { ...(needed ? await api.authorization(primary.user_id) : { roles: [], permissions: [], organizations: [] }), factors: primaryFactors };
    const merge = metadataFor(primary, toLink, policy, { now: Date.now(), holdings });
    if (!merge) return tally("changed.primary");
    if (merge.refused !== undefined) return tally(merge.refused);

    // Auth0 discards a secondary's metadata on link: merge it into the primary first (primary wins).
    if (merge.patch) {
      checkStop();
      await api.updateMetadata(primary.user_id, merge.patch);
    }
    // carry: the primary receives what the secondaries held before any of them is deleted.
    if (merge.carry) {
      checkStop();
      await api.grant(primary.user_id, merge.carry);
    }
    let made = 0;
    let failed = 0;
    for (const secondary of toLink) {
      checkStop();
      journal.append({ event: "linking", cluster: cluster.n, secondary: secondary.user_id });
      try {
        await api.link(primary.user_id, mainIdentity(secondary));
      } catch (err) {
        if (isFatal(err) || err instanceof Stopped) throw err;
        // A login may have linked it meanwhile: that is success, anything else is a failure.
        const status = err instanceof TenantApiError ? err.status : undefined;
        const now = status === 400 || status === 409 ? await api.getUser(primary.user_id).catch(() => undefined) : undefined;
        if (!now || !holdsIdentity(now, mainIdentity(secondary))) {
          failed++;
          failures.push(`cluster ${cluster.n}: linking ${secondary.user_id} into ${primary.user_id}: ${(err as Error).message}`);
          continue;
        }
      }
      journal.append({ event: "linked", cluster: cluster.n, secondary: secondary.user_id });
      made++;
      linksMadeNow++;
      state.links++;
      options.progress?.update(state);
    }
    if (failed > 0) return undefined; // not finished: the next run tries it again
    const notMade = open - toLink.length;
    return tally(notMade > 0 ? "partly_linked" : "linked", heldByUs + made, notMade);
  }

  const clusters = plan.clusters()[Symbol.asyncIterator]();
  async function worker(): Promise<void> {
    for (;;) {
      if (options.stop?.aborted || fatal) return;
      const next = await clusters.next(); // an async generator hands each cluster to one worker
      if (next.done) return;
      const cluster = next.value;
      if (journal.done.has(cluster.n)) continue;
      let tally: ClusterTally | undefined;
      try {
        tally = await applyCluster(cluster);
      } catch (err) {
        if (err instanceof Stopped) return;
        if (isFatal(err)) {
          fatal ??= err;
          return;
        }
        failures.push(`cluster ${cluster.n}: ${(err as Error).message}`);
      }
      if (tally) {
        journal.append({ event: "done", cluster: cluster.n, ...tally });
        state.clustersDone++;
      }
      options.progress?.update(state);
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    options.progress?.update(state, true);
    await clusters.return(undefined);
  }
  if (fatal) throw fatal;

  // Every run counted from the journal, so a resumed run reports the plan's whole story.
  const result: ApplyResult = {
    planned: { clusters: plan.end.clusters, links: plan.end.links },
    linksMade: journal.linked.size,
    linksMadeNow,
    linksAlready: 0,
    notMade: {},
    clusters: {},
    unfinished: { clusters: 0, links: 0 },
    newAccounts: 0,
    failures,
    stopped: false,
    requests: api.requests,
    rateLimited: api.rateLimited,
    pacedMs: api.pacer.waitedMs,
    bucket: api.pacer.limit,
    refill: api.pacer.refillPerSecond,
    concurrency,
    elapsedMs: Date.now() - started,
  };
  let accounted = 0;
  for (const t of journal.done.values()) {
    bump(result.clusters, t.outcome);
    result.linksAlready += t.already;
    bump(result.notMade, t.outcome, t.notMade);
    result.newAccounts += t.newer;
    accounted += t.made + t.already + t.notMade;
  }
  // Links made in clusters not finished yet are in linksMade; the rest of those clusters is open.
  const madeInDone = [...journal.done.values()].reduce((sum, t) => sum + t.made, 0);
  result.unfinished = { clusters: plan.end.clusters - journal.done.size, links: plan.end.links - accounted - (result.linksMade - madeInDone) };
  result.stopped = !!options.stop?.aborted && result.unfinished.clusters > 0;
  return result;
}

const n = (x: number) => x.toLocaleString("en-US");

/** Cluster outcomes in the dry run's plain words. */
export const OUTCOMES: Record<string, string> = {
  linked: "linked",
  partly_linked: "linked in part (members gone or no longer eligible)",
  already_linked: "already linked by logins",
  confirm: "left for confirmation at the next login",
  "changed.ineligible": "members gone or no longer eligible",
  "changed.primary": "the primary would now differ",
  "changed.primary_missing": "the planned primary is gone",
  "changed.established_newcomer": "an account holding linked identities took the email since the plan",
  "refuse.authorization_differs": "refused: a secondary holds roles, permissions or Organizations the primary lacks",
  "refuse.mfa_downgrade": "refused: a secondary has an MFA factor kind the primary lacks",
  "refuse.profile_too_large": "refused: the primary's profile would be too large",
  "refuse.metadata_conflict": "refused: a carried app_metadata key differs",
};
const words = (code: string) => OUTCOMES[code] ?? code;
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${words(k)} ${n(v)}`)
    .join(", ");

export function formatApplyResult(r: ApplyResult, where: string): string {
  const notMade = Object.values(r.notMade).reduce((a, b) => a + b, 0);
  const lines = [
    r.stopped ? `Backfill of ${where} stopped before the end (interrupted). Run the same command again to resume: finished work is skipped.` : `Backfill applied to ${where}`,
    `  planned                   ${n(r.planned.clusters)} clusters, ${n(r.planned.links)} links`,
    `  links made                ${n(r.linksMade)}${r.linksMade !== r.linksMadeNow ? ` (${n(r.linksMadeNow)} in this run, ${n(r.linksMade - r.linksMadeNow)} in earlier runs)` : ""}`,
  ];
  if (r.linksAlready) lines.push(`  already linked by logins  ${n(r.linksAlready)}`);
  lines.push(`  links not made            ${n(notMade)}${notMade ? `: ${list(r.notMade)}` : ""}`);
  if (r.unfinished.clusters) lines.push(`  not finished yet          ${n(r.unfinished.clusters)} clusters, ${n(r.unfinished.links)} links (run the same command again)`);
  lines.push(`  clusters                  ${list(r.clusters) || "none finished"}`);
  if (r.newAccounts) lines.push(`  accounts newer than the plan ${n(r.newAccounts)} (left for the Action at their next login)`);
  const seconds = r.elapsedMs / 1000;
  const paced = r.bucket ? `; rate limit: bucket of ${n(r.bucket)}${r.refill ? `, refill measured ${r.refill.toFixed(1)}/s` : ""}` : "";
  lines.push(`  requests                  ${n(r.requests)} in ${seconds.toFixed(1)} s (${(r.requests / Math.max(seconds, 0.001)).toFixed(1)}/s, ${r.concurrency} clusters at a time${paced})${r.rateLimited ? `, ${n(r.rateLimited)} answered 429 and retried` : ", none answered 429"}`);
  for (const f of r.failures.slice(0, 20)) lines.push(`  FAILED ${f}`);
  if (r.failures.length > 20) lines.push(`  ... and ${r.failures.length - 20} more failures`);
  return lines.join("\n");
}
