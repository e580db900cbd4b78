// One backfill run, after the command line was read and the environment and credentials checked:
// dry run (export -> plan file + summary), apply (plan file -> links, journalled), or show (the
// plan, readable). Every refusal happens before the first request.
import * as fs from "fs";
import * as os from "os";
import type { ResolvedEnvironment } from "../../../stacks/config";
import { managementClient } from "../management-client";
import { CliError, type Credentials } from "../target";
import { applyPlan, formatApplyResult } from "./apply";
import { checkPlanWritable, formatSummary, planBackfill } from "./dry-run";
import { exportLines, runExportJob } from "./export-job";
import { Journal } from "./journal";
import { lockPlan } from "./lock";
import { DEFAULT_SHARE, Pacer } from "./pacer";
import { checkPlanFits, loadPlan } from "./plan-file";
import { ProgressReporter } from "./progress";
import { showPlan } from "./show";
import { sleepUnlessStopped, TenantApi, TenantApiError } from "./tenant-api";

export interface BackfillRun {
  mode: "dry-run" | "apply" | "show";
  environment: ResolvedEnvironment;
  /** Not needed to show a plan. */
  credentials?: Credentials;
  /** dry-run: where to write the plan; apply and show: the plan to read. */
  planFile: string;
  maxAgeMs: number;
  maxPerSecond?: number;
  /** Clusters worked on at once by the apply. */
  concurrency?: number;
  /** Apply even though the environment's policy is report-only. */
  overrideReportOnly?: boolean;
  pollMs?: number;
  /** Where the dry run's partitions go (default: the system's temporary directory). */
  workDir?: string;
  /** Aborted by Ctrl-C. */
  stop?: AbortSignal;
  log?: (line: string) => void;
  progress?: ProgressReporter;
}

export const EXIT_INTERRUPTED = 130;
export const OVERRIDE_REPORT_ONLY = "--override-report-only";

function tenantApi(run: BackfillRun, credentials: Credentials): TenantApi {
  // The SDK's own retries are off: TenantApi retries with the pacer and the rate-limit headers.
  // Without --max-rate the backfill uses at most half the tenant's limit and slows down as logins
  // take more (pacer.ts); --max-rate replaces that with the operator's own ceiling.
  const pacer = new Pacer({ maxPerSecond: run.maxPerSecond, share: run.maxPerSecond ? 1 : DEFAULT_SHARE, sleep: (ms) => sleepUnlessStopped(ms, run.stop), stop: run.stop });
  return new TenantApi(managementClient(credentials, { maxRetries: 0, timeoutInSeconds: 30 }), pacer, run.stop);
}

/** Credentials problems end the run with what to fix; the journal keeps what was done. */
function explain(err: unknown, where: string): never {
  if (err instanceof TenantApiError && (err.status === 401 || err.status === 403)) {
    throw new CliError(`${where}: ${err.message}. The backfill needs credentials whose application has read:users and update:users on the Management API (--apply also read:roles, read:organizations, read:organization_member_roles and read:authentication_methods, and the carry writes for authorization "carry": docs/backfill.md).`);
  }
  if (err instanceof TenantApiError) throw new CliError(`${where}: ${err.message}. Run the same command again later.`);
  throw err;
}

export async function runBackfill(run: BackfillRun): Promise<number> {
  const where = `${run.environment.stackName} (${run.environment.tenant})${run.credentials ? ` at ${run.credentials.domain}` : ""}`;
  return backfill(run, where).catch((err: unknown) => explain(err, where));
}

/** At most one progress line every few seconds (and never on a quick run). */
function throttled(log: (line: string) => void, everyMs = 3000): (line: string) => void {
  let last = Date.now();
  return (line) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    log(line);
  };
}

async function backfill(run: BackfillRun, where: string): Promise<number> {
  const log = run.log ?? ((line: string) => console.log(line));
  const remedy = `Make a new plan: npm run backfill -- ${run.environment.name} --dry-run`;
  if (run.mode === "show") {
    await showPlan(await loadPlan(run.planFile, remedy), run.environment.name, log);
    return 0;
  }
  const credentials = run.credentials!;
  const policy = run.environment.policy;
  if (run.mode === "dry-run") {
    checkPlanWritable(run.planFile);
    const api = tenantApi(run, credentials);
    if (policy.reportOnly) log(`${run.environment.name} runs a report-only policy: this dry run is for review; --apply will refuse its plan.`);
    log(`Exporting the users of ${where}...`);
    const { jobId, location } = await runExportJob(api, { pollMs: run.pollMs, stop: run.stop, onStatus: (status, percent) => log(`  export job: ${status}${percent !== undefined ? ` ${percent}%` : ""}`) });
    const progress = throttled(log);
    const summary = await planBackfill({
      lines: exportLines(location, run.stop),
      workDir: run.workDir ?? os.tmpdir(),
      planFile: run.planFile,
      environment: run.environment.name,
      stack: run.environment.stackName,
      domain: credentials.domain,
      policy,
      exportJob: jobId,
      progress: (phase, done, total) =>
        progress(phase === "reading" ? `  reading the export: ${done.toLocaleString("en-US")} users` : `  grouping by email and deciding: ${done}/${total} partitions`),
    });
    const text = formatSummary(summary, where);
    fs.writeFileSync(`${run.planFile}.summary.txt`, `${text}\n`, { mode: 0o600 });
    log(text);
    log(`\nPlan: ${run.planFile} (it names people by email: keep it private, delete it when done)`);
    log(`Summary: ${run.planFile}.summary.txt`);
    log(`Review it: npm run backfill -- ${run.environment.name} --show ${run.planFile}`);
    if (summary.links === 0) log("Nothing to link.");
    else if (policy.reportOnly) log(`Report-only: --apply refuses this plan unless ${OVERRIDE_REPORT_ONLY} is given.`);
    else log(`Then: npm run backfill -- ${run.environment.name} --apply ${run.planFile}`);
    return 0;
  }

  if (policy.reportOnly && !run.overrideReportOnly) {
    throw new CliError(
      `refusing to apply: ${run.environment.stackName} (${run.environment.tenant}) runs a report-only policy (stacks/environments.ts, policy.reportOnly), ` +
        `so the Action changes nothing there and neither does the backfill. Nothing was changed. To link anyway, add ${OVERRIDE_REPORT_ONLY}.`,
    );
  }
  const plan = await loadPlan(run.planFile, remedy);
  checkPlanFits(plan, { environment: run.environment.name, stack: run.environment.stackName, domain: credentials.domain, policy, maxAgeMs: run.maxAgeMs, now: Date.now() }, run.planFile);
  const unlock = lockPlan(run.planFile);
  let journal: Journal;
  try {
    journal = Journal.open(`${run.planFile}.journal`, plan.id);
  } catch (err) {
    unlock();
    throw err;
  }
  try {
    if (journal.repaired) log(`The journal's last line was cut short by a crash: removed it (that step is re-checked against the tenant).`);
    const resuming = journal.done.size > 0 || journal.linked.size > 0;
    if (policy.reportOnly) log(`${OVERRIDE_REPORT_ONLY}: linking although ${run.environment.name}'s policy is report-only.`);
    log(`Applying ${run.planFile} to ${where}: ${plan.end.links.toLocaleString("en-US")} links in ${plan.end.clusters.toLocaleString("en-US")} clusters${resuming ? ` (resuming: ${journal.done.size} clusters already done)` : ""}`);
    const result = await applyPlan({ plan, api: tenantApi(run, credentials), journal, policy, concurrency: run.concurrency, progress: run.progress, stop: run.stop });
    log(formatApplyResult(result, where));
    if (result.stopped) return EXIT_INTERRUPTED;
    return result.failures.length > 0 ? 1 : 0;
  } finally {
    journal.close();
    unlock();
  }
}
