// npm run plan -- <env> [--markdown <file>] [--run-url <url>] [--commit <sha>] [--no-color] [--no-lock] [--refresh-only] [--github-output] [--two-step]
// Refuses a synth older than action-src/ or the configuration, as deploy and verify do. Then
// terraform init + plan in cdktf.out/stacks/auth0-<env>, then a summary, and what the apply would
// unbind from the post-login flow bound now. --markdown writes the pull-request comment, also when
// anything fails (before Terraform runs too), so an old comment never stands for a new commit.
// --two-step: when the plan removes the bound Action (two applies), the saved plan is step 1 only.
import * as fs from "fs";
import { managementClient } from "./lib/management-client";
import { planComment } from "./lib/plan-comment";
import { countsLine } from "./lib/plan-summary";
import { checkNamedConnections } from "./lib/policy-connections";
import { checkUnbinding, describeUnbinding } from "./lib/post-login-unbind";
import { initStack, planStack, planUnbindStep } from "./lib/stack-plan";
import { CliError, credentialsFor, findEnvironment, parseOptions, runCommand } from "./lib/target";
import { currentSynthesizedStack } from "./lib/synth-freshness";
import { backendTokenEnv, findTerraform, TerraformFailed } from "./lib/terraform";

const OPTIONS = { flags: ["no-color", "no-lock", "refresh-only", "github-output", "two-step"], values: ["markdown", "run-url", "commit"] };

/** `changes` and `drifted` counts for later steps and jobs (GitHub Actions step outputs). */
function writeGithubOutput(values: Record<string, number>): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) throw new CliError("--github-output: GITHUB_OUTPUT is not set (it is, in a GitHub Actions step)");
  fs.appendFileSync(file, Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join(""));
}

export async function main(args: string[]): Promise<number> {
  const { positional, flags, values } = parseOptions(args, OPTIONS, "plan");
  const markdown = values.get("markdown");
  const named = positional[0] ?? "";
  // Until the environment is known, the comment is addressed as CI addresses it (auth0-<name>).
  let comment = { environment: named, stackName: named.startsWith("auth0-") ? named : `auth0-${named}`, runUrl: values.get("run-url"), commit: values.get("commit"), notes: [] as string[] };
  try {
    if (positional.length > 1) throw new CliError("npm run plan: one environment per run (the provider reads process-wide AUTH0_* variables)", 2);
    const environment = findEnvironment(positional[0], "plan");
    comment = { ...comment, environment: environment.name, stackName: environment.stackName };
    const credentials = credentialsFor(environment);
    const stack = currentSynthesizedStack(environment);
    const tf = findTerraform(process.env, backendTokenEnv(environment));
    await checkNamedConnections(environment, credentials.domain, () => managementClient(credentials));
    if (environment.backend.type === "local" && process.env.CI) {
      const note = `${environment.stackName} uses the local backend: in CI there is no state, so this plan starts from an empty tenant. Configure an s3 or cloud backend (docs/delivery.md, "Running it in CI").`;
      console.warn(`warning: ${note}`);
      comment.notes.push(note);
    }
    if (flags.has("refresh-only")) comment.notes.push("Refresh-only plan: what changed in the tenant outside Terraform since the last apply; it plans no other change.");
    const color = !flags.has("no-color") && !process.env.CI;
    await initStack(tf, stack, { color });
    const { summary, json, text } = await planStack(tf, stack, { color, noLock: flags.has("no-lock"), refreshOnly: flags.has("refresh-only") });
    const unbind = await checkUnbinding(json, credentials);
    let saved = summary.changes.length;
    if (flags.has("two-step") && summary.unbindFirst.length > 0) {
      const step1 = await planUnbindStep(tf, stack, summary, { color, noLock: flags.has("no-lock"), where: environment.stackName, again: "Plan again." });
      saved = step1.summary.changes.length;
      const note = `This plan removes the bound Action, which Auth0 deletes only once it is unbound: the saved plan is step 1 of 2 (${summary.unbindFirst.join(", ")} only). Once it is applied, deploy again for step 2 (the rest).`;
      console.log(note);
      comment.notes.push(note);
    }
    console.log(`\n${environment.stackName}: ${countsLine(summary)}`);
    if (flags.has("refresh-only")) console.log(summary.drifted.length === 0 ? "  no drift" : summary.drifted.map((c) => `  drifted: ${c.address}`).join("\n"));
    for (const h of summary.hazards) console.log(`  !! ${h.code}: ${h.message}`);
    for (const w of summary.warnings) console.log(`  warning: ${w}`);
    for (const line of describeUnbinding(unbind)) console.log(line);
    if (markdown) fs.writeFileSync(markdown, planComment({ ...comment, summary, unbind, planText: text }));
    if (flags.has("github-output")) writeGithubOutput({ changes: saved, drifted: summary.drifted.length });
    return 0;
  } catch (err) {
    if (markdown) {
      const output = err instanceof TerraformFailed ? err.output.split("\n").slice(-80).join("\n") : `error: ${err instanceof Error ? err.message : String(err)}`;
      fs.writeFileSync(markdown, planComment({ ...comment, planText: output, failure: err instanceof TerraformFailed ? undefined : "before Terraform ran" }));
    }
    throw err;
  }
}

if (require.main === module) runCommand(main);
