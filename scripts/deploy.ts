// npm run deploy -- <env> [--auto-approve] [--allow-unbind] [--plan <saved plan>] [--no-color]
// Plans, shows what will change, applies exactly that saved plan (or, with --plan, a plan saved
// earlier, as CI's apply job does). Refuses a synth older than the Action's sources, a plan that
// would hit Auth0's 409 on deleting a bound Action, and, without --allow-unbind, a plan that
// unbinds post-login Actions this stack did not bind. A plan that removes the bound Action is
// applied in two steps (binding first), as Auth0 requires.
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { managementClient } from "./lib/management-client";
import { describeChange } from "./lib/plan-comment";
import { checkNamedConnections } from "./lib/policy-connections";
import { countsLine, type PlanSummary } from "./lib/plan-summary";
import { applyRefusal } from "./lib/apply-refusals";
import { checkUnbinding, describeUnbinding } from "./lib/post-login-unbind";
import { replanIfHalfDone } from "./lib/secret-heal";
import { applyPlan, initStack, PLAN_FILE, planStack, planUnbindStep, showPlan, unreviewed, type StackPlan } from "./lib/stack-plan";
import { parseCommandLine, type CommandSpec } from "./lib/command-line";
import { CliError, credentialsFor, findEnvironment, runCommand } from "./lib/target";
import { currentSynthesizedStack } from "./lib/synth-freshness";
import { backendTokenEnv, findTerraform, TerraformFailed } from "./lib/terraform";

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
  rl.close();
  return answer.trim() === "yes";
}

function describe(summary: PlanSummary): string[] {
  return summary.changes.map((c) => `  ${c.address}: ${describeChange(c).replace(/\*\*/g, "")}`);
}

export const DEPLOY: CommandSpec = {
  name: "deploy",
  usage: ["<environment> [options]"],
  about:
    "Deploys one environment: the same checks as plan, then terraform plan, a summary, and after you type \"yes\" the apply of exactly that saved plan (a plan that removes the bound Action is applied in two steps, as Auth0 requires). Refuses a plan that unbinds post-login Actions this stack did not bind unless --allow-unbind.",
  arguments: [{ name: "<environment>", about: "An environment of stacks/environments.ts (its name, or its stack auth0-<name>). One per run." }],
  options: [
    { name: "auto-approve", about: "Apply without asking (needed when not in a terminal, as in CI)." },
    { name: "allow-unbind", about: "Apply although the plan unbinds post-login Actions this stack did not bind (or the bindings cannot be read)." },
    { name: "no-color", about: "Plain output (also the default when CI is set)." },
    { name: "plan", value: "<file>", about: "Apply this plan, saved earlier by npm run plan or terraform plan -out, instead of planning again." },
  ],
  examples: ["npm run deploy -- dev", "npm run deploy -- prod --plan tfplan --auto-approve"],
  notes: ["Credentials: AUTH0_DOMAIN and the Terraform deploy application's AUTH0_CLIENT_ID with AUTH0_CLIENT_SECRET (or AUTH0_CLIENT_ASSERTION_PRIVATE_KEY and AUTH0_CLIENT_ASSERTION_SIGNING_ALG), or AUTH0_API_TOKEN."],
};

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(args, DEPLOY);
  if (!parsed) return 0;
  const { positional, flags, values } = parsed;
  if (positional.length > 1) throw new CliError("npm run deploy: one environment per run (the provider reads process-wide AUTH0_* variables)", 2);
  const environment = findEnvironment(positional[0], "deploy");
  const credentials = credentialsFor(environment);
  const stack = currentSynthesizedStack(environment);
  const where = environment.stackName;
  if (environment.backend.type === "local" && process.env.CI) {
    throw new CliError(`${where} uses the local backend: state written in CI is lost when the job ends, and the next deploy would create everything again. Configure an s3 or cloud backend for "${environment.name}" in stacks/environments.ts (docs/delivery.md, "Running it in CI").`);
  }
  const savedPlan = values.get("plan");
  if (savedPlan !== undefined && !fs.existsSync(savedPlan)) throw new CliError(`${where}: --plan ${savedPlan}: no such file (a saved plan from "terraform plan -out" or "npm run plan")`);
  const tf = findTerraform(process.env, backendTokenEnv(environment));
  await checkNamedConnections(environment, credentials.domain, () => managementClient(credentials));
  const color = !flags.has("no-color") && !process.env.CI;

  await initStack(tf, stack, { color });
  let first: StackPlan = savedPlan ? await showPlan(tf, stack, path.resolve(savedPlan)) : await planStack(tf, stack, { color });
  // A saved plan was checked for a half-done secret write when it was made (npm run plan).
  if (!savedPlan) first = (await replanIfHalfDone(first, { stackDir: stack.dir, environment: environment.name, configured: environment.secretVersion }, () => planStack(tf, stack, { color }))).plan;
  const { summary } = first;
  console.log(`\n${where} (${environment.tenant}): ${countsLine(summary)}`);
  if (summary.changes.length === 0) return 0;
  console.log(describe(summary).join("\n"));
  // The bound Action replaced: refused before anything else is asked.
  const replaced = applyRefusal({ ...summary, hazards: summary.hazards.filter((h) => h.code === "bound_action_replaced") }, undefined, { where, environment: environment.name, allowUnbind: true });
  if (replaced) throw new CliError(replaced);
  for (const h of summary.hazards) console.log(`  !! ${h.code}: ${h.message}`);
  for (const w of summary.warnings) console.log(`  warning: ${w}`);
  if (savedPlan && summary.unbindFirst.length > 0) {
    throw new CliError(`${where}: refusing to apply ${savedPlan}: it removes the bound Action, which takes two applies (${summary.unbindFirst.join(", ")} first), and a saved plan is one. Save step 1 alone ("npm run plan -- ${environment.name} --two-step") or run "npm run deploy -- ${environment.name}", which applies both (docs/operations.md, "Removing or renaming the Action: two applies").`);
  }

  // The flow bound now, compared with the plan (the plan alone shows a first deploy as a create).
  const unbind = await checkUnbinding(first.json, credentials);
  for (const line of describeUnbinding(unbind)) console.log(line);
  const refusal = applyRefusal(summary, unbind, { where, environment: environment.name, allowUnbind: flags.has("allow-unbind") });
  if (refusal) throw new CliError(refusal);

  if (!flags.has("auto-approve")) {
    if (!process.stdin.isTTY) throw new CliError(`${where}: not a terminal, so nothing to confirm with: pass --auto-approve to apply this plan`);
    if (!(await confirm(`Apply these changes to ${environment.tenant}? Only "yes" applies: `))) {
      console.log("Not applied.");
      return 1;
    }
  }

  if (summary.unbindFirst.length > 0) {
    // Step 1: the binding alone, so the Action is no longer bound when step 2 deletes it.
    console.log(`\nStep 1 of 2: ${summary.unbindFirst.join(", ")}`);
    await planUnbindStep(tf, stack, summary, { color, where, again: `Run "npm run deploy -- ${environment.name}" again to review.` });
    await applyPlan(tf, stack, PLAN_FILE, { color });
    console.log("\nStep 2 of 2: everything else");
    const step2 = await planStack(tf, stack, { color });
    const unexpected = unreviewed(summary, step2.summary);
    if (unexpected.length > 0) {
      throw new CliError(`${where}: step 2 plans changes that were not in the reviewed plan (${unexpected.join(", ")}); stopped after step 1. Run "npm run deploy -- ${environment.name}" again to review.`);
    }
  }
  try {
    await applyPlan(tf, stack, savedPlan ? path.resolve(savedPlan) : PLAN_FILE, { color });
  } catch (err) {
    if (savedPlan && err instanceof TerraformFailed && /saved plan is stale/i.test(err.output)) {
      throw new CliError(`${where}: the state changed since ${savedPlan} was planned (another apply ran): nothing applied. Plan again and review the new plan.`);
    }
    throw err;
  }
  await tf.run(stack.dir, ["output", ...(color ? [] : ["-no-color"])]);
  return 0;
}

if (require.main === module) runCommand(main);
