// npm run plan -- <env> [--markdown <file>] [--run-url <url>] [--commit <sha>] [--no-color] [--no-lock] [--refresh-only] [--github-output] [--two-step] [--for-apply [--allow-unbind]]
// Refuses a synth older than action-src/ or the configuration, as deploy and verify do. Then
// terraform init + plan in cdktf.out/stacks/auth0-<env>, then a summary, and what the apply would
// unbind from the post-login flow bound now. --markdown writes the pull-request comment, also when
// anything fails (before Terraform runs too), so an old comment never stands for a new commit.
// --two-step: when the plan removes the bound Action (two applies), the saved plan is step 1 only.
// --for-apply: the saved plan is going to be applied as is (CI's apply job runs Terraform alone), so
// what `deploy` would refuse fails the plan here (after the comment is written), unless --allow-unbind.
import * as fs from "fs";
import { managementClient } from "./lib/management-client";
import { planComment } from "./lib/plan-comment";
import { countsLine } from "./lib/plan-summary";
import { applyRefusal } from "./lib/apply-refusals";
import { checkNamedConnections } from "./lib/policy-connections";
import { checkUnbinding, describeUnbinding } from "./lib/post-login-unbind";
import { replanIfHalfDone } from "./lib/secret-heal";
import { initStack, planStack, planUnbindStep } from "./lib/stack-plan";
import type { CommandSpec } from "./lib/command-line";
import { parseCommandLine } from "./lib/command-line";
import { CliError, credentialsFor, findEnvironment, runCommand } from "./lib/target";
import { currentSynthesizedStack } from "./lib/synth-freshness";
import { backendTokenEnv, findTerraform, TerraformFailed } from "./lib/terraform";

export const PLAN: CommandSpec = {
  name: "plan",
  usage: ["<environment> [options]"],
  about:
    "Plans one environment: checks the synth is current and every connection the policy names exists on the tenant, runs terraform init and plan in cdktf.out/stacks/auth0-<environment>, and prints a summary, the hazards and what the apply would unbind from the post-login flow. Changes nothing.",
  arguments: [{ name: "<environment>", about: "An environment of stacks/environments.ts (its name, or its stack auth0-<name>). One per run." }],
  options: [
    { name: "no-color", about: "Plain output (also the default when CI is set)." },
    { name: "no-lock", about: "Plan without taking the state lock (read-only state credentials)." },
    { name: "refresh-only", about: "Show only what changed in the tenant outside Terraform (drift)." },
    { name: "github-output", about: "Append changes=<n> and drifted=<n> to $GITHUB_OUTPUT (GitHub Actions)." },
    { name: "two-step", about: "When the plan removes the bound Action, save step 1 only (the binding); deploy again for step 2." },
    { name: "for-apply", about: "CI's plan for an apply: refuse what deploy refuses (a bound Action replaced, foreign Actions unbound) before the plan is sealed." },
    { name: "allow-unbind", about: "With --for-apply: allow unbinding post-login Actions this stack does not own." },
    { name: "markdown", value: "<file>", about: "Write the pull-request comment to <file>, also when the plan fails." },
    { name: "run-url", value: "<url>", about: "Link to the CI run, shown in the comment." },
    { name: "commit", value: "<sha>", about: "The commit planned, shown in the comment." },
  ],
  examples: ["npm run plan -- dev", "npm run plan -- prod --refresh-only", "npm run plan -- staging --markdown plan.md --commit $(git rev-parse HEAD)"],
  notes: ["Credentials: AUTH0_DOMAIN and the Terraform deploy application's AUTH0_CLIENT_ID with AUTH0_CLIENT_SECRET (or AUTH0_CLIENT_ASSERTION_PRIVATE_KEY and AUTH0_CLIENT_ASSERTION_SIGNING_ALG), or AUTH0_API_TOKEN."],
};

/** `changes` and `drifted` counts for later steps and jobs (GitHub Actions step outputs). */
function writeGithubOutput(values: Record<string, number>): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) throw new CliError("--github-output: GITHUB_OUTPUT is not set (it is, in a GitHub Actions step)");
  fs.appendFileSync(file, Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join(""));
}

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(args, PLAN);
  if (!parsed) return 0;
  const { positional, flags, values } = parsed;
  const markdown = values.get("markdown");
  const named = positional[0] ?? "";
  // Until the environment is known, the comment is addressed as CI addresses it (auth0-<name>).
  let comment = { environment: named, stackName: named.startsWith("auth0-") ? named : `auth0-${named}`, runUrl: values.get("run-url"), commit: values.get("commit"), notes: [] as string[] };
  let written = false;
  try {
    if (flags.has("allow-unbind") && !flags.has("for-apply")) throw new CliError("npm run plan: --allow-unbind goes with --for-apply (it decides whether the saved plan may be applied)", 2);
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
    const planOptions = { color, noLock: flags.has("no-lock"), refreshOnly: flags.has("refresh-only") };
    let planned = await planStack(tf, stack, planOptions);
    if (!flags.has("refresh-only")) {
      const healed = await replanIfHalfDone(planned, { stackDir: stack.dir, environment: environment.name, configured: environment.secretVersion }, () => planStack(tf, stack, planOptions));
      planned = healed.plan;
      if (healed.note) comment.notes.push(healed.note);
    }
    const { summary, json, text } = planned;
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
    const refusal = flags.has("for-apply") ? applyRefusal(summary, unbind, { where: environment.stackName, environment: environment.name, allowUnbind: flags.has("allow-unbind") }) : undefined;
    if (refusal) comment.notes.push(`**Not sealed for the apply job**: ${refusal}`);
    if (markdown) {
      fs.writeFileSync(markdown, planComment({ ...comment, summary, unbind, planText: text }));
      written = true;
    }
    if (refusal) throw new CliError(refusal);
    if (flags.has("github-output")) writeGithubOutput({ changes: saved, drifted: summary.drifted.length });
    return 0;
  } catch (err) {
    if (markdown && !written) {
      const output = err instanceof TerraformFailed ? err.output.split("\n").slice(-80).join("\n") : `error: ${err instanceof Error ? err.message : String(err)}`;
      fs.writeFileSync(markdown, planComment({ ...comment, planText: output, failure: err instanceof TerraformFailed ? undefined : "before Terraform ran" }));
    }
    throw err;
  }
}

if (require.main === module) runCommand(main);
