// The dry run: export lines in, a plan file and its human summary out. No tenant writes.
import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";
import type { LinkingPolicy } from "../../../action-src/policy";
import { decideCluster, toAccount } from "./cluster";
import { clustersIn, DEFAULT_BUCKETS, partitionUsers, writeLine, type PartitionCounts } from "./partition";
import { PLAN_FORMAT, policyDigest, type ClusterLine, type PlanEnd, type PlanHeader } from "./plan-file";

export interface PlanSummary {
  source: PartitionCounts;
  clusters: number;
  accountsInClusters: number;
  linkClusters: number;
  links: number;
  /** Clusters that link some members and leave others alone, and why those are left. */
  partialClusters: number;
  leftAlone: Record<string, number>;
  skipped: Record<string, number>;
  /** In clusters that link nothing: why their members are ineligible. */
  skippedMembers: Record<string, number>;
  bySize: Record<string, number>;
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
}

const bump = (counts: Record<string, number>, key: string, by = 1) => (counts[key] = (counts[key] ?? 0) + by);

export async function planBackfill(options: DryRunOptions): Promise<PlanSummary> {
  const buckets = options.buckets ?? DEFAULT_BUCKETS;
  const partDir = fs.mkdtempSync(path.join(options.workDir, "linking-partitions-"));
  const source = await partitionUsers(options.lines, partDir, buckets);
  const header: PlanHeader = {
    kind: "header",
    format: PLAN_FORMAT,
    environment: options.environment,
    stack: options.stack,
    domain: options.domain,
    createdAt: (options.now ?? new Date()).toISOString(),
    policyDigest: policyDigest(options.policy),
    policy: options.policy,
    source: { exportJob: options.exportJob, ...source },
  };
  const summary: PlanSummary = { source, clusters: 0, accountsInClusters: 0, linkClusters: 0, links: 0, partialClusters: 0, leftAlone: {}, skipped: {}, skippedMembers: {}, bySize: {} };
  // The plan names people by email: readable by the operator only.
  fs.mkdirSync(path.dirname(options.planFile), { recursive: true });
  const tmp = `${options.planFile}.partial`;
  const out = fs.createWriteStream(tmp, { mode: 0o600 });
  try {
    await writeLine(out, `${JSON.stringify(header)}\n`);
    for await (const { email, members } of clustersIn(partDir, buckets)) {
      const decision = decideCluster(members.map(toAccount), options.policy);
      const line: ClusterLine = {
        kind: "cluster",
        id: createHash("sha256").update(email).digest("hex").slice(0, 16),
        email,
        lookup: [...new Set(members.map((m) => m.email!))].sort(),
        members: members.map((m) => m.user_id).sort(),
        action: decision.action,
        ...(decision.action === "link" ? { primary: decision.primary, secondaries: decision.secondaries } : { reason: decision.reason }),
        ignored: decision.ignored,
      };
      await writeLine(out, `${JSON.stringify(line)}\n`);
      summary.clusters++;
      summary.accountsInClusters += members.length;
      bump(summary.bySize, members.length >= 5 ? "5+" : String(members.length));
      if (decision.action === "link") {
        summary.linkClusters++;
        summary.links += decision.secondaries.length;
        if (decision.ignored.length > 0) summary.partialClusters++;
        for (const i of decision.ignored) bump(summary.leftAlone, i.reason);
      } else {
        bump(summary.skipped, decision.reason);
        for (const i of decision.ignored) bump(summary.skippedMembers, i.reason);
      }
    }
    const end: PlanEnd = { kind: "end", clusters: summary.clusters, links: summary.links };
    await writeLine(out, `${JSON.stringify(end)}\n`);
  } finally {
    await new Promise<void>((resolve) => out.end(resolve));
    fs.rmSync(partDir, { recursive: true, force: true });
  }
  // Only a whole plan gets the real name: an interrupted dry run leaves no plan to apply.
  fs.renameSync(tmp, options.planFile);
  return summary;
}

const n = (x: number) => x.toLocaleString("en-US");
const REASONS: Record<string, string> = {
  "ineligible.unverified": "unverified email",
  "ineligible.excluded_connection": "excluded connection",
  "ineligible.email_mismatch": "email mismatch",
  "skip.not_enough_eligible": "fewer than two eligible accounts",
  "refuse.conflicting_primaries": "conflicting primaries (two accounts already hold linked identities)",
  "skip.already_linked": "already linked",
};
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${REASONS[k] ?? k} ${n(v)}`)
    .join(", ");

/** The human summary: counts and reasons only, never an email. */
export function formatSummary(summary: PlanSummary, where: string): string {
  const s = summary;
  const skippedClusters = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  const lines = [
    `Backfill dry run for ${where}`,
    `  users exported            ${n(s.source.users)} (${n(s.source.withoutEmail)} without an email${s.source.malformed ? `, ${n(s.source.malformed)} unreadable lines` : ""})`,
    `  duplicate clusters        ${n(s.clusters)} holding ${n(s.accountsInClusters)} accounts (by size: ${Object.entries(s.bySize).sort().map(([k, v]) => `${k}: ${n(v)}`).join(", ") || "none"})`,
    `  would link                ${n(s.linkClusters)} clusters, ${n(s.links)} links`,
  ];
  if (s.partialClusters > 0) lines.push(`    partly: ${n(s.partialClusters)} clusters link some members and leave ${list(s.leftAlone)}`);
  lines.push(`  would not link            ${n(skippedClusters)} clusters${skippedClusters ? `: ${list(s.skipped)}` : ""}`);
  if (Object.keys(s.skippedMembers).length > 0) lines.push(`    their ineligible accounts: ${list(s.skippedMembers)}`);
  return lines.join("\n");
}
