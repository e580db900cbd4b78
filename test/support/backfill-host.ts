// Runs one backfill (scripts/lib/backfill/run.ts, the code behind `npm run backfill`) in its own
// process with a policy given by the test, since the CLI takes its policy from
// stacks/environments.ts. Same Ctrl-C handling as the CLI. Argument: one JSON object.
import { resolveEnvironments, type EnvironmentConfig } from "../../stacks/config";
import { runBackfill, EXIT_INTERRUPTED } from "../../scripts/lib/backfill/run";
import { credentialsFor } from "../../scripts/lib/target";

interface HostArgs {
  mode: "dry-run" | "apply";
  environment: EnvironmentConfig;
  planFile: string;
  maxAgeMs?: number;
  maxPerSecond?: number;
  pollMs?: number;
}

const args = JSON.parse(process.argv[2]) as HostArgs;
const environment = resolveEnvironments([args.environment])[0];
const stop = new AbortController();
process.on("SIGINT", () => {
  if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED);
  stop.abort();
});
runBackfill({
  mode: args.mode,
  environment,
  credentials: credentialsFor(environment),
  planFile: args.planFile,
  maxAgeMs: args.maxAgeMs ?? 86_400_000,
  maxPerSecond: args.maxPerSecond,
  pollMs: args.pollMs ?? 20,
  stop: stop.signal,
}).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
