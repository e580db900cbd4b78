// One backfill run, after the command line was read and the environment and credentials checked:
// dry run (export -> plan file + summary) or apply (plan file -> links, journalled).
import * as fs from "fs";
import * as os from "os";
import type { ResolvedEnvironment } from "../../../stacks/config";
import { managementClient } from "../management-client";
import { CliError, type Credentials } from "../target";
import { applyPlan, formatApplyResult } from "./apply";
import { formatSummary, planBackfill } from "./dry-run";
import { exportLines, runExportJob } from "./export-job";
import { Journal } from "./journal";
import { Pacer } from "./pacer";
import { checkPlanFits, loadPlan } from "./plan-file";
import { ProgressReporter } from "./progress";
import { sleepUnlessStopped, TenantApi, TenantApiError } from "./tenant-api";

export interface BackfillRun {
  mode: "dry-run" | "apply";
  environment: ResolvedEnvironment;
  credentials: Credentials;
  /** dry-run: where to write the plan; apply: the plan to run. */
  planFile: string;
  maxAgeMs: number;
  maxPerSecond?: number;
  pollMs?: number;
  /** Aborted by Ctrl-C. */
  stop?: AbortSignal;
  log?: (line: string) => void;
  progress?: ProgressReporter;
}

export const EXIT_INTERRUPTED = 130;

function tenantApi(run: BackfillRun): TenantApi {
  // The SDK's own retries are off: TenantApi retries with the pacer and the rate-limit headers.
  const pacer = new Pacer({ maxPerSecond: run.maxPerSecond, sleep: (ms) => sleepUnlessStopped(ms, run.stop) });
  return new TenantApi(managementClient(run.credentials, { maxRetries: 0, timeoutInSeconds: 30 }), pacer, run.stop);
}

/** Credentials problems end the run with what to fix; the journal keeps what was done. */
function explain(err: unknown, where: string): never {
  if (err instanceof TenantApiError && (err.status === 401 || err.status === 403)) {
    throw new CliError(`${where}: ${err.message}. The backfill needs credentials whose application has read:users and update:users on the Management API.`);
  }
  throw err;
}

export async function runBackfill(run: BackfillRun): Promise<number> {
  const where = `${run.environment.stackName} (${run.environment.tenant}) at ${run.credentials.domain}`;
  return backfill(run, where).catch((err: unknown) => explain(err, where));
}

async function backfill(run: BackfillRun, where: string): Promise<number> {
  const log = run.log ?? ((line: string) => console.log(line));
  if (run.mode === "dry-run") {
    const api = tenantApi(run);
    log(`Exporting the users of ${where}...`);
    const { jobId, location } = await runExportJob(api, { pollMs: run.pollMs, onStatus: (status, percent) => log(`  export job: ${status}${percent !== undefined ? ` ${percent}%` : ""}`) });
    const summary = await planBackfill({
      lines: exportLines(location),
      workDir: os.tmpdir(),
      planFile: run.planFile,
      environment: run.environment.name,
      stack: run.environment.stackName,
      domain: run.credentials.domain,
      policy: run.environment.policy,
      exportJob: jobId,
    });
    const text = formatSummary(summary, where);
    fs.writeFileSync(`${run.planFile}.summary.txt`, `${text}\n`, { mode: 0o600 });
    log(text);
    log(`\nPlan: ${run.planFile} (it names people by email: keep it private)`);
    log(`Summary: ${run.planFile}.summary.txt`);
    log(summary.links > 0 ? `Review it, then: npm run backfill -- ${run.environment.name} --apply ${run.planFile}` : "Nothing to link.");
    return 0;
  }

  const plan = await loadPlan(run.planFile);
  checkPlanFits(plan, { environment: run.environment.name, stack: run.environment.stackName, domain: run.credentials.domain, policy: run.environment.policy, maxAgeMs: run.maxAgeMs, now: Date.now() }, run.planFile);
  const journal = Journal.open(`${run.planFile}.journal`, plan.id);
  const resuming = journal.done.size > 0 || journal.linked.size > 0;
  log(`Applying ${run.planFile} to ${where}: ${plan.end.links} links in ${plan.end.clusters} clusters${resuming ? ` (resuming: ${journal.done.size} clusters already done)` : ""}`);
  const result = await applyPlan({ plan, api: tenantApi(run), journal, policy: run.environment.policy, progress: run.progress, stop: run.stop });
  log(formatApplyResult(result));
  if (result.stopped) return EXIT_INTERRUPTED;
  return result.failures.length > 0 ? 1 : 0;
}
