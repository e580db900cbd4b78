// npm run backfill -- <env> --dry-run [--out <plan.jsonl>]
// npm run backfill -- <env> --apply <plan.jsonl> [--max-age 24h] [--max-rate <requests/s>]
// Links the duplicate accounts a tenant already has, with the Action's own rules. The dry run
// exports the users and writes a plan; --apply runs exactly that plan, resumably.
import * as fs from "fs";
import * as path from "path";
import { ProgressReporter } from "./lib/backfill/progress";
import { EXIT_INTERRUPTED, runBackfill } from "./lib/backfill/run";
import { CliError, credentialsFor, findEnvironment, parseOptions, PROJECT_ROOT, runCommand } from "./lib/target";

const USAGE = "usage: npm run backfill -- <environment> --dry-run [--out <plan.jsonl>]\n       npm run backfill -- <environment> --apply <plan.jsonl> [--max-age 24h] [--max-rate <requests per second>]";

/** "90m", "24h", "2d" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(text.trim());
  if (!match) throw new CliError(`--max-age must look like 90m, 24h or 2d, got "${text}"`, 2);
  return Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "m" | "h" | "d"];
}

export async function main(args: string[]): Promise<number> {
  const { positional, flags, values } = parseOptions(args, { flags: ["dry-run"], values: ["apply", "out", "max-age", "max-rate"] }, "backfill");
  if (positional.length > 1) throw new CliError("npm run backfill: one environment per run (credentials are per tenant)", 2);
  if (flags.has("dry-run") === values.has("apply")) throw new CliError(`${USAGE}\n(give exactly one of --dry-run and --apply)`, 2);
  const environment = findEnvironment(positional[0], "backfill");
  const maxAgeMs = parseDuration(values.get("max-age") ?? "24h");
  const maxRate = values.has("max-rate") ? Number(values.get("max-rate")) : undefined;
  if (maxRate !== undefined && !(maxRate > 0)) throw new CliError(`--max-rate must be a positive number of requests per second, got "${values.get("max-rate")}"`, 2);
  const credentials = credentialsFor(environment);

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const planFile = path.resolve(values.get("apply") ?? values.get("out") ?? path.join(PROJECT_ROOT, ".backfill", environment.name, `plan-${stamp}.jsonl`));
  const mode = flags.has("dry-run") ? "dry-run" : "apply";
  const stop = new AbortController();
  process.on("SIGINT", () => {
    if (mode === "dry-run") {
      // Nothing in the tenant changes during a dry run: stop now, leave no plan behind.
      fs.rmSync(`${planFile}.partial`, { force: true });
      process.stderr.write("\nDry run interrupted: no plan written.\n");
      process.exit(EXIT_INTERRUPTED);
    }
    if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED); // a second Ctrl-C does not wait
    stop.abort();
    process.stderr.write("\nStopping after the request in flight (Ctrl-C again to quit at once)...\n");
  });
  return runBackfill({
    mode,
    environment,
    credentials,
    planFile,
    maxAgeMs,
    maxPerSecond: maxRate,
    stop: stop.signal,
    progress: new ProgressReporter(),
  });
}

if (require.main === module) runCommand(main);
