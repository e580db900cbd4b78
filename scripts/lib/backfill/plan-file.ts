// The backfill plan: JSON lines, a header saying which tenant, environment and policy it was made
// for and when, one line per duplicate cluster, and an end line (a plan without it is incomplete).
// `--apply` runs exactly this file, after checking it still belongs where it is being applied.
import { createHash } from "crypto";
import * as fs from "fs";
import * as readline from "readline";
import type { IgnoredAccount } from "../../../action-src/decide";
import { serializePolicy, type LinkingPolicy } from "../../../action-src/policy";
import { CliError } from "../target";

export const PLAN_FORMAT = 1;

export interface PlanHeader {
  kind: "header";
  format: number;
  environment: string;
  stack: string;
  domain: string;
  createdAt: string;
  policyDigest: string;
  policy: LinkingPolicy;
  source: { exportJob?: string; users: number; withoutEmail: number; malformed: number };
}

export interface ClusterLine {
  kind: "cluster";
  /** emailDigest of the normalised email: stable, and safe to print. */
  id: string;
  /** The normalised email, and the exact spellings to look up (Auth0's search is case-sensitive). */
  email: string;
  lookup: string[];
  members: string[];
  action: "link" | "skip";
  reason?: string;
  primary?: string;
  secondaries?: string[];
  ignored: IgnoredAccount[];
}

export interface PlanEnd {
  kind: "end";
  clusters: number;
  links: number;
}

export function policyDigest(policy: LinkingPolicy): string {
  return createHash("sha256").update(serializePolicy(policy)).digest("hex").slice(0, 16);
}

/** Identifies a plan (its header line): the journal belongs to exactly one plan. */
export function planId(headerLine: string): string {
  return createHash("sha256").update(headerLine).digest("hex").slice(0, 16);
}

export interface LoadedPlan {
  header: PlanHeader;
  id: string;
  end: PlanEnd;
  clusters: () => AsyncGenerator<ClusterLine>;
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim() !== "") yield line;
}

/** Reads the header and the end line and checks the file is whole; clusters stream on demand. */
export async function loadPlan(file: string): Promise<LoadedPlan> {
  if (!fs.existsSync(file)) throw new CliError(`plan file ${file} not found`);
  let headerLine: string | undefined;
  let last: string | undefined;
  let count = 0;
  for await (const line of lines(file)) {
    if (headerLine === undefined) headerLine = line;
    last = line;
    count++;
  }
  let header: PlanHeader;
  let end: PlanEnd;
  try {
    header = JSON.parse(headerLine ?? "") as PlanHeader;
    end = JSON.parse(last ?? "") as PlanEnd;
  } catch {
    throw new CliError(`${file} is not a backfill plan (its first and last lines must be JSON)`);
  }
  if (header.kind !== "header" || header.format !== PLAN_FORMAT) throw new CliError(`${file} is not a backfill plan of format ${PLAN_FORMAT}`);
  if (end.kind !== "end" || end.clusters !== count - 2) {
    throw new CliError(`${file} is incomplete (no end line, or a cluster count that does not match): make a new plan with --dry-run`);
  }
  return {
    header,
    id: planId(headerLine!),
    end,
    clusters: async function* () {
      for await (const line of lines(file)) {
        const parsed = JSON.parse(line) as ClusterLine | PlanHeader | PlanEnd;
        if (parsed.kind === "cluster") yield parsed;
      }
    },
  };
}

export interface PlanTarget {
  environment: string;
  stack: string;
  domain: string;
  policy: LinkingPolicy;
  maxAgeMs: number;
  now: number;
}

function age(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48 ? `${Math.round(h / 24)} days` : h >= 1 ? `${h.toFixed(1)} hours` : `${Math.round(ms / 60_000)} minutes`;
}

/** Refuses a plan made for another environment or tenant, under another policy, or too long ago. */
export function checkPlanFits(plan: LoadedPlan, target: PlanTarget, file: string): void {
  const h = plan.header;
  const problems: string[] = [];
  if (h.environment !== target.environment) problems.push(`it was made for environment "${h.environment}", not "${target.environment}"`);
  if (h.domain !== target.domain) problems.push(`it was made for the tenant ${h.domain}, but AUTH0_DOMAIN is ${target.domain}`);
  if (h.policyDigest !== policyDigest(target.policy)) problems.push(`the environment's linking policy changed since it was made (stacks/environments.ts)`);
  const created = Date.parse(h.createdAt);
  if (Number.isNaN(created)) problems.push("its creation time is unreadable");
  else if (target.now - created > target.maxAgeMs) problems.push(`it is ${age(target.now - created)} old, more than --max-age ${age(target.maxAgeMs)}`);
  else if (created - target.now > 5 * 60_000) problems.push("its creation time is in the future");
  if (problems.length > 0) {
    throw new CliError(`refusing to apply ${file}: ${problems.join("; ")}. Nothing was changed. Make a new plan: npm run backfill -- ${target.environment} --dry-run`);
  }
}
