// The dry run: export lines in, a plan file and its human summary out. No tenant writes.
// Whatever way it ends early, it leaves no partition and no partial plan behind.
import { mkdirPrivate, privateTempDir } from "../private-files";
import * as fs from "fs";
import * as path from "path";
import type { LinkingPolicy } from "../../../action-src/policy";
import { CliError } from "../target";
import { decideCluster, toAccount } from "./cluster";
import { clustersIn, DEFAULT_BUCKETS, partitionUsers, writeLine, type PartitionCounts, type PartitionProgress } from "./partition";
import { PLAN_FORMAT, policyDigest, type ClusterLine, type PlanEnd, type PlanHeader } from "./plan-file";
import { keep, scratch } from "./scratch";

export interface PlanSummary {
  source: PartitionCounts & { duplicates: number };
  reportOnly: boolean;
  clusters: number;
  accountsInClusters: number;
  linkClusters: number;
  links: number;
  /** Clusters that link some members and leave others alone, and why those are left. */
  partialClusters: number;
  leftAlone: Record<string, number>;
  /** Clusters that link nothing, by reason (confirmation counted apart). */
  notLinked: Record<string, number>;
  /** In clusters that link nothing: why their members are ineligible. */
  notLinkedMembers: Record<string, number>;
  confirm: number;
  /** Accounts in linked clusters left for the person's confirmation (their connection is not trusted). */
  awaiting: number;
  bySize: Record<string, number>;
  /** Clusters whose primary would pass maxProfileBytes (estimated): their primary and size, the largest kept. */
  oversized: Array<{ primary: string; bytes: number }>;
}

export interface DryRunOptions {
  lines: AsyncIterable<string>;
  /** Where the partition files go (a fresh directory inside it, removed at the end). */
  workDir: string;
  planFile: string;
  environment: string;
  stack: string;
  domain: string;
  policy: LinkingPolicy;
  exportJob?: string;
  now?: Date;
  buckets?: number;
  progress?: PartitionProgress;
}

const bump = (counts: Record<string, number>, key: string, by = 1) => (counts[key] = (counts[key] ?? 0) + by);

/** Fails before the export starts when the plan cannot be written where asked. */
export function checkPlanWritable(planFile: string): void {
  const partial = `${planFile}.partial`;
  try {
    if (fs.existsSync(planFile) && fs.statSync(planFile).isDirectory()) throw Object.assign(new Error("it is a directory"), { code: "EISDIR" });
    mkdirPrivate(path.dirname(planFile));
    fs.closeSync(fs.openSync(partial, "w", 0o600));
    fs.rmSync(partial);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "EEXIST" || e.code === "ENOTDIR" ? "part of its path is a file, not a directory" : (e.code ?? e.message);
    throw new CliError(`cannot write the plan to ${planFile} (${why}). Nothing was exported; give --out a file in a directory you can write`);
  }
}

export async function planBackfill(options: DryRunOptions): Promise<PlanSummary> {
  const buckets = options.buckets ?? DEFAULT_BUCKETS;
  mkdirPrivate(options.workDir);
  const partDir = privateTempDir("linking-partitions-", options.workDir);
  const removePartitions = scratch(partDir);
  // The plan names people: readable by the operator only, and only a whole plan gets its name.
  const tmp = `${options.planFile}.partial`;
  const removePartial = scratch(tmp);
  let out: fs.WriteStream | undefined;
  try {
    const counts = await partitionUsers(options.lines, partDir, options.policy, { buckets, progress: options.progress });
    const summary: PlanSummary = {
      source: { ...counts, duplicates: 0 },
      reportOnly: options.policy.reportOnly,
      clusters: 0,
      accountsInClusters: 0,
      linkClusters: 0,
      links: 0,
      partialClusters: 0,
      leftAlone: {},
      notLinked: {},
      notLinkedMembers: {},
      confirm: 0,
      awaiting: 0,
      bySize: {},
      oversized: [],
    };
    const header: PlanHeader = {
      kind: "header",
      format: PLAN_FORMAT,
      environment: options.environment,
      stack: options.stack,
      domain: options.domain,
      createdAt: (options.now ?? new Date()).toISOString(),
      policyDigest: policyDigest(options.policy),
      policy: options.policy,
      source: { exportJob: options.exportJob, users: counts.users, withoutEmail: counts.withoutEmail },
    };
    mkdirPrivate(path.dirname(options.planFile));
    out = fs.createWriteStream(tmp, { mode: 0o600 });
    await writeLine(out, `${JSON.stringify(header)}\n`);
    const lines: string[] = [];
    for await (const { members, duplicates } of clustersIn(partDir, buckets, options.progress)) {
      summary.source.duplicates += duplicates;
      if (members.length < 2) continue;
      const decision = decideCluster(members.map(toAccount), options.policy);
      summary.clusters++;
      summary.accountsInClusters += members.length;
      bump(summary.bySize, members.length >= 5 ? "5+" : String(members.length));
      if (decision.action === "link") {
        summary.linkClusters++;
        summary.links += decision.secondaries.length;
        if (decision.ignored.length > 0 || decision.awaiting > 0) summary.partialClusters++;
        summary.awaiting += decision.awaiting;
        for (const i of decision.ignored) bump(summary.leftAlone, i.reason);
        const line: ClusterLine = {
          kind: "cluster",
          n: summary.linkClusters,
          lookup: [...new Set(members.map((m) => m.email!))].sort(),
          members: members.map((m) => m.user_id).sort(),
          primary: decision.primary,
          secondaries: decision.secondaries,
          ignored: decision.ignored,
        };
        lines.push(JSON.stringify(line));
        if (lines.length >= 512) await writeLine(out, `${lines.splice(0).join("\n")}\n`);
      } else {
        if (decision.action === "confirm") summary.confirm++;
        else bump(summary.notLinked, decision.reason);
        if (decision.action === "skip" && decision.reason === "refuse.profile_too_large" && decision.primary && decision.bytes) {
          summary.oversized.push({ primary: decision.primary, bytes: decision.bytes });
          if (summary.oversized.length > OVERSIZED_LISTED * 2) summary.oversized = largest(summary.oversized);
        }
        for (const i of decision.ignored) bump(summary.notLinkedMembers, i.reason);
      }
    }
    summary.oversized = largest(summary.oversized);
    if (lines.length > 0) await writeLine(out, `${lines.join("\n")}\n`);
    const end: PlanEnd = { kind: "end", clusters: summary.linkClusters, links: summary.links, notLinked: summary.notLinked, confirm: summary.confirm, duplicates: summary.source.duplicates };
    await writeLine(out, `${JSON.stringify(end)}\n`);
    await new Promise<void>((resolve, reject) => out!.end((err?: Error | null) => (err ? reject(err) : resolve())));
    out = undefined;
    fs.renameSync(tmp, options.planFile);
    keep(tmp);
    return summary;
  } finally {
    out?.destroy();
    removePartial();
    removePartitions();
  }
}

/** Oversized clusters listed by name in the summary (the largest first); the count covers them all. */
const OVERSIZED_LISTED = 20;
const largest = (list: Array<{ primary: string; bytes: number }>) => [...list].sort((a, b) => b.bytes - a.bytes || (a.primary < b.primary ? -1 : 1)).slice(0, OVERSIZED_LISTED);

const n = (x: number) => x.toLocaleString("en-US");
/** Reason codes in plain words, shared by the dry run's and the apply's summaries. */
export const REASONS: Record<string, string> = {
  "ineligible.unverified": "unverified email",
  "ineligible.excluded_connection": "excluded connection",
  "ineligible.email_mismatch": "email mismatch",
  "skip.not_enough_eligible": "fewer than two eligible accounts",
  "refuse.conflicting_primaries": "conflicting primaries (two accounts already hold linked identities)",
  "skip.already_linked": "already linked",
  "ineligible.blocked": "blocked account",
  "ineligible.protected": "protected account (protectedAppMetadataKeys)",
  "refuse.metadata_conflict": "a carried app_metadata key differs between the accounts",
  "refuse.too_many_accounts": "more than 10 other eligible accounts on trusted connections share the email",
  "refuse.profile_too_large": "the primary's profile would pass maxProfileBytes",
  "ineligible.unlinked": "unlinked by an operator",
  "skip.unlinked": "unlinked by an operator",
};
export const inWords = (code: string) => REASONS[code] ?? code;
export const listCounts = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${inWords(k)} ${n(v)}`)
    .join(", ");

/** The human summary: counts and reasons only, never an email. */
export function formatSummary(summary: PlanSummary, where: string): string {
  const s = summary;
  const notLinked = Object.values(s.notLinked).reduce((a, b) => a + b, 0);
  const extra = [s.source.withoutEmail ? `${n(s.source.withoutEmail)} without an email` : "", s.source.duplicates ? `${n(s.source.duplicates)} listed twice, counted once` : ""].filter(Boolean);
  const lines = [
    `Backfill dry run for ${where}`,
    `  users exported            ${n(s.source.users)}${extra.length ? ` (${extra.join(", ")})` : ""}`,
    `  duplicate clusters        ${n(s.clusters)} holding ${n(s.accountsInClusters)} accounts (by size: ${Object.entries(s.bySize).sort().map(([k, v]) => `${k}: ${n(v)}`).join(", ") || "none"})`,
    `  would link                ${n(s.linkClusters)} clusters, ${n(s.links)} links`,
  ];
  if (s.partialClusters > 0) lines.push(`    partly: ${n(s.partialClusters)} clusters link some members and leave ${listCounts(s.leftAlone)}`);
  if (s.confirm > 0 || s.awaiting > 0) {
    lines.push(`  left for confirmation at the next login ${n(s.confirm)} clusters${s.awaiting > 0 ? `, and ${n(s.awaiting)} accounts in clusters that link the rest` : ""} (a connection involved is not trusted)`);
  }
  lines.push(`  would not link            ${n(notLinked)} clusters${notLinked ? `: ${listCounts(s.notLinked)}` : ""}`);
  if (Object.keys(s.notLinkedMembers).length > 0) lines.push(`    their ineligible accounts: ${listCounts(s.notLinkedMembers)}`);
  const oversized = s.notLinked["refuse.profile_too_large"] ?? 0;
  if (oversized > 0) {
    lines.push(`  oversized                 ${n(oversized)} clusters whose primary would pass maxProfileBytes (estimated from the export; largest first):`);
    // A user_id may hold an email (enterprise connections): the summary never shows one.
    for (const o of s.oversized) lines.push(`    ${o.primary.replace(/[^\s|]+@[^\s|]+/g, "[email]")}  ~${n(o.bytes)} bytes`);
  }
  if (s.reportOnly) lines.push(`  report-only               this environment's policy is report-only: the Action links nothing there, and --apply refuses this plan (unless --override-report-only)`);
  return lines.join("\n");
}
