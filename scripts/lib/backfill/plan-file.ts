// The backfill plan: JSON lines, a header saying which tenant, environment and policy it was made
// for and when, one line per cluster the apply will link, and an end line with the dry run's
// counts (a plan without it is incomplete). It holds only what the apply needs: the email
// spellings to look up, the member ids, the primary and the secondaries. Clusters that link
// nothing are counted in the end line, never listed.
// `--apply` runs exactly this file, after checking every line and that it belongs where it is applied.
import { createHash } from "crypto";
import * as fs from "fs";
import * as readline from "readline";
import { normalizeEmail } from "../../../action-src/decide";
import { serializePolicy, type LinkingPolicy } from "../../../action-src/policy";
import { CliError } from "../target";

export const PLAN_FORMAT = 2;

export interface PlanHeader {
  kind: "header";
  format: number;
  environment: string;
  stack: string;
  domain: string;
  createdAt: string;
  policyDigest: string;
  policy: LinkingPolicy;
  source: { exportJob?: string; users: number; withoutEmail: number };
}

export interface ClusterLine {
  kind: "cluster";
  /** Position in the plan (1, 2, ...): names the cluster in the journal and in messages. */
  n: number;
  /** The exact email spellings to look up (Auth0's search is exact and case-sensitive). */
  lookup: string[];
  members: string[];
  primary: string;
  secondaries: string[];
  /** Members the policy leaves alone, and why. */
  ignored: Array<{ user_id: string; reason: string }>;
}

export interface PlanEnd {
  kind: "end";
  clusters: number;
  links: number;
  /** Duplicate clusters the dry run found and does not link, by reason. */
  notLinked: Record<string, number>;
  /** Clusters left for the person's confirmation at their next login. */
  confirm: number;
  /** Users the export listed more than once (each counted once). */
  duplicates: number;
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
  /** The cluster lines, streamed again from the file (already checked). */
  clusters: () => AsyncGenerator<ClusterLine>;
}

async function* numberedLines(file: string): AsyncGenerator<[number, string]> {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() !== "") yield [n, line];
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isIdList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string" && x !== "");

/** What is wrong with a cluster line, or undefined. */
function clusterProblem(c: Record<string, unknown>, expected: number): string | undefined {
  if (c.n !== expected) return `cluster number ${JSON.stringify(c.n)} where ${expected} was expected`;
  if (!isIdList(c.lookup) || c.lookup.length === 0) return "lookup must be a list of emails";
  if (new Set(c.lookup.map(normalizeEmail)).size !== 1) return "lookup holds emails of different people";
  if (!isIdList(c.members) || c.members.length < 2 || new Set(c.members).size !== c.members.length) return "members must be two or more distinct user ids";
  const members = new Set(c.members);
  if (typeof c.primary !== "string" || !members.has(c.primary)) return "primary must be one of the members";
  if (!isIdList(c.secondaries) || c.secondaries.length === 0) return "secondaries must be a non-empty list of user ids";
  if (new Set(c.secondaries).size !== c.secondaries.length || c.secondaries.some((id) => id === c.primary || !members.has(id))) {
    return "secondaries must be distinct members other than the primary";
  }
  if (!Array.isArray(c.ignored) || !c.ignored.every((i) => isObject(i) && typeof i.user_id === "string" && members.has(i.user_id) && typeof i.reason === "string")) {
    return "ignored must list members with a reason";
  }
  return undefined;
}

function headerProblem(h: Record<string, unknown>): string | undefined {
  if (h.kind !== "header") return "the first line is not a plan header";
  if (h.format !== PLAN_FORMAT) return `plan format ${JSON.stringify(h.format)}, this version reads format ${PLAN_FORMAT}`;
  for (const key of ["environment", "stack", "domain", "createdAt", "policyDigest"]) if (typeof h[key] !== "string") return `the header has no ${key}`;
  if (!isObject(h.policy)) return "the header has no policy";
  if (!isObject(h.source)) return "the header has no source";
  return undefined;
}

/**
 * Reads and checks every line before anything is applied: a damaged plan is refused with the
 * line number. Memory stays flat: lines are checked one at a time and streamed again to apply.
 */
export async function loadPlan(file: string, remedy: string): Promise<LoadedPlan> {
  const shown = file;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new CliError(`plan file ${shown} not found`);
  }
  if (stat.isDirectory()) throw new CliError(`${shown} is a directory: give the plan file (plan-<time>.jsonl) made by the dry run`);
  const damaged = (line: number, what: string) => new CliError(`${shown} line ${line}: ${what}. The plan is damaged or not a backfill plan: nothing was applied. ${remedy}`);

  let headerLine: string | undefined;
  let header: PlanHeader | undefined;
  let end: PlanEnd | undefined;
  let clusters = 0;
  let links = 0;
  for await (const [n, line] of numberedLines(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw damaged(n, "not JSON");
    }
    if (!isObject(parsed)) throw damaged(n, "not a JSON object");
    if (end) throw damaged(n, "a line after the end line");
    if (!header) {
      const problem = headerProblem(parsed);
      if (problem) throw damaged(n, problem);
      header = parsed as unknown as PlanHeader;
      headerLine = line;
      continue;
    }
    if (parsed.kind === "cluster") {
      const problem = clusterProblem(parsed, clusters + 1);
      if (problem) throw damaged(n, problem);
      clusters++;
      links += (parsed.secondaries as string[]).length;
    } else if (parsed.kind === "end") {
      if (parsed.clusters !== clusters || parsed.links !== links) throw damaged(n, `the end line counts ${parsed.clusters} clusters and ${parsed.links} links, the plan holds ${clusters} and ${links}`);
      if (!isObject(parsed.notLinked) || typeof parsed.confirm !== "number") throw damaged(n, "the end line has no counts of what is not linked");
      end = parsed as unknown as PlanEnd;
    } else {
      throw damaged(n, `unknown line kind ${JSON.stringify(parsed.kind)}`);
    }
  }
  if (!header) throw new CliError(`${shown} is empty: give the plan file made by the dry run. ${remedy}`);
  if (!end) throw new CliError(`${shown} is incomplete (no end line: the dry run was interrupted or the file was cut). Nothing was applied. ${remedy}`);
  return {
    header,
    id: planId(headerLine!),
    end,
    clusters: async function* () {
      for await (const [, line] of numberedLines(file)) {
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
