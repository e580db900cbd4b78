// npm run backfill -- <env> --dry-run [--out <plan.jsonl>]
// npm run backfill -- <env> --show <plan.jsonl>
// npm run backfill -- <env> --apply <plan.jsonl> [--max-age 24h] [--max-rate <requests/s>] [--concurrency <n>] [--override-report-only]
// Links the duplicate accounts a tenant already has, with the Action's own rules. The dry run
// exports the users and writes a plan; --show prints it for review; --apply runs exactly that
// plan, resumably.
import * as path from "path";
import { DEFAULT_CONCURRENCY } from "./lib/backfill/apply";
import { ProgressReporter } from "./lib/backfill/progress";
import { EXIT_INTERRUPTED, runBackfill } from "./lib/backfill/run";
import { removeScratch } from "./lib/backfill/scratch";
import { exitOnEndingSignals } from "./lib/private-files";
import { parseCommandLine, type CommandSpec } from "./lib/command-line";
import { CliError, credentialsFor, findEnvironment, PROJECT_ROOT, runCommand } from "./lib/target";

const USAGE = [
  "usage: npm run backfill -- <environment> --dry-run [--out <plan.jsonl>]",
  "       npm run backfill -- <environment> --show <plan.jsonl>",
  "       npm run backfill -- <environment> --apply <plan.jsonl> [--max-age 24h] [--max-rate <requests per second>] [--concurrency <clusters>] [--override-report-only]",
].join("\n");

/** "90m", "24h", "2d" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(text.trim());
  if (!match) throw new CliError(`--max-age must look like 90m, 24h or 2d, got "${text}"`, 2);
  return Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "m" | "h" | "d"];
}

function positiveNumber(name: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) throw new CliError(`--${name} must be a positive ${integer ? "whole number" : "number"}, got "${text}"`, 2);
  return value;
}

export const BACKFILL: CommandSpec = {
  name: "backfill",
  usage: [
    "<environment> --dry-run [--out <plan.jsonl>]",
    "<environment> --show <plan.jsonl>",
    "<environment> --apply <plan.jsonl> [--max-age 24h] [--max-rate <requests/s>] [--concurrency <n>] [--override-report-only]",
  ],
  about:
    "Links the duplicate accounts a tenant already has, with the Action's own rules. The dry run exports the users and writes a plan (it changes nothing); --show prints a plan for review; --apply runs exactly that plan, resumably, journalled next to it.",
  arguments: [{ name: "<environment>", about: "An environment of stacks/environments.ts (its name, or its stack auth0-<name>). One per run." }],
  options: [
    { name: "dry-run", about: "Export the users and write a plan and its summary. Changes nothing in the tenant." },
    { name: "out", value: "<plan.jsonl>", about: "Where the dry run writes the plan (default .backfill/<environment>/plan-<time>.jsonl)." },
    { name: "show", value: "<plan.jsonl>", about: "Print the plan, cluster by cluster, for review (no credentials needed)." },
    { name: "apply", value: "<plan.jsonl>", about: "Link what the plan says. Stops and resumes safely (Ctrl-C, then the same command)." },
    { name: "max-age", value: "<duration>", about: "Refuse a plan older than this: 90m, 24h (default) or 2d." },
    { name: "max-rate", value: "<requests/s>", about: "Cap on Management API requests per second (default: what the tenant's rate-limit headers allow)." },
    { name: "concurrency", value: "<n>", about: `Clusters worked on at once (default ${DEFAULT_CONCURRENCY}).` },
    { name: "override-report-only", about: "Apply although the environment's policy is report-only." },
  ],
  examples: ["npm run backfill -- dev --dry-run", "npm run backfill -- dev --show .backfill/dev/plan-2026-01-01T00-00-00-000Z.jsonl", "npm run backfill -- dev --apply .backfill/dev/plan-2026-01-01T00-00-00-000Z.jsonl --max-rate 5"],
  notes: ["Credentials: AUTH0_DOMAIN and AUTH0_* of an application with read:users and update:users. Plans name people by email: they are written readable by you only; delete them when done. To try it offline: npm run simulate -- backfill."],
};

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(args, BACKFILL);
  if (!parsed) return 0;
  const { positional, flags, values } = parsed;
  if (positional.length > 1) throw new CliError("npm run backfill: one environment per run (credentials are per tenant)", 2);
  const modes = [flags.has("dry-run") && "dry-run", values.has("apply") && "apply", values.has("show") && "show"].filter(Boolean) as Array<"dry-run" | "apply" | "show">;
  if (modes.length !== 1) throw new CliError(`${USAGE}\n(give exactly one of --dry-run, --show and --apply)`, 2);
  const mode = modes[0];
  const environment = findEnvironment(positional[0], "backfill");
  const maxAgeMs = parseDuration(values.get("max-age") ?? "24h");
  const maxPerSecond = positiveNumber("max-rate", values.get("max-rate"));
  const concurrency = positiveNumber("concurrency", values.get("concurrency"), true) ?? DEFAULT_CONCURRENCY;
  const credentials = mode === "show" ? undefined : credentialsFor(environment);

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const planFile = path.resolve(values.get("apply") ?? values.get("show") ?? values.get("out") ?? path.join(PROJECT_ROOT, ".backfill", environment.name, `plan-${stamp}.jsonl`));
  const stop = new AbortController();
  process.on("SIGINT", () => {
    if (mode !== "apply") {
      // Nothing in the tenant changes during a dry run: stop now, leave no partition or plan behind.
      removeScratch();
      if (mode === "dry-run") process.stderr.write("\nDry run interrupted: no plan written, temporary files removed.\n");
      process.exit(EXIT_INTERRUPTED);
    }
    if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED); // a second Ctrl-C does not wait
    stop.abort();
    process.stderr.write("\nStopping after the requests in flight (Ctrl-C again to quit at once)...\n");
  });
  // A closed terminal or dropped SSH session (SIGHUP) or a kill (SIGTERM): exit now, so the exit
  // handlers remove the partitions and the partial plan and release the apply's lock (the journal
  // keeps what an apply finished; running the same command resumes).
  exitOnEndingSignals({ except: ["SIGINT"], before: () => removeScratch() });
  try {
    return await runBackfill({
      mode,
      environment,
      credentials,
      planFile,
      maxAgeMs,
      maxPerSecond,
      concurrency,
      overrideReportOnly: flags.has("override-report-only"),
      stop: stop.signal,
      progress: new ProgressReporter(),
    });
  } catch (err) {
    // One line for the operator, never a stack trace.
    if (err instanceof CliError) throw err;
    throw new CliError(`backfill stopped: ${(err as Error)?.message ?? String(err)}. Nothing more was changed; run the same command again (an apply resumes where it stopped)`);
  }
}

if (require.main === module) runCommand(main);
