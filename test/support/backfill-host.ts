// Runs one backfill (scripts/lib/backfill/run.ts, the code behind `npm run backfill`) in its own
// process with a policy given by the test, since the CLI takes its policy from
// stacks/environments.ts. Same Ctrl-C handling as the CLI. Argument: one JSON object.
import { resolveEnvironments, type EnvironmentConfig } from "../../stacks/config";
import { runBackfill, EXIT_INTERRUPTED, type BackfillRun } from "../../scripts/lib/backfill/run";
import { removeScratch } from "../../scripts/lib/backfill/scratch";
import { credentialsFor } from "../../scripts/lib/target";

interface HostArgs {
  mode: BackfillRun["mode"];
  environment: EnvironmentConfig;
  planFile: string;
  maxAgeMs?: number;
  maxPerSecond?: number;
  concurrency?: number;
  overrideReportOnly?: boolean;
  pollMs?: number;
  workDir?: string;
}

const args = JSON.parse(process.argv[2]) as HostArgs;
const environment = resolveEnvironments([args.environment])[0];
const stop = new AbortController();
process.on("SIGINT", () => {
  if (args.mode !== "apply") {
    removeScratch();
    process.exit(EXIT_INTERRUPTED);
  }
  if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED);
  stop.abort();
});
runBackfill({
  mode: args.mode,
  environment,
  credentials: args.mode === "show" ? undefined : credentialsFor(environment),
  planFile: args.planFile,
  maxAgeMs: args.maxAgeMs ?? 86_400_000,
  maxPerSecond: args.maxPerSecond,
  concurrency: args.concurrency,
  overrideReportOnly: args.overrideReportOnly,
  pollMs: args.pollMs ?? 20,
  workDir: args.workDir,
  stop: stop.signal,
}).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
