// npm run deploy -- <env> [--auto-approve] [--no-color]
// Plans, shows what will change, applies exactly that saved plan. Refuses a synth older than the
// Action's sources, and a plan that would hit Auth0's 409 on deleting a bound Action; a plan
// that removes the bound Action is applied in two steps (binding first), as Auth0 requires.
import * as readline from "readline";
import { describeChange } from "./lib/plan-comment";
import { countsLine, type PlanSummary } from "./lib/plan-summary";
import { initStack, PLAN_FILE, planStack } from "./lib/stack-plan";
import { CliError, credentialsFor, findEnvironment, parseOptions, runCommand, synthesizedStack } from "./lib/target";
import { checkSynthIsCurrent } from "./lib/synth-freshness";
import { findTerraform } from "./lib/terraform";

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
  rl.close();
  return answer.trim() === "yes";
}

function describe(summary: PlanSummary): string[] {
  return summary.changes.map((c) => `  ${c.address}: ${describeChange(c).replace(/\*\*/g, "")}`);
}

export async function main(args: string[]): Promise<number> {
  const { positional, flags } = parseOptions(args, { flags: ["auto-approve", "no-color"], values: [] }, "deploy");
  if (positional.length > 1) throw new CliError("npm run deploy: one environment per run (the provider reads process-wide AUTH0_* variables)", 2);
  const environment = findEnvironment(positional[0], "deploy");
  credentialsFor(environment);
  const stack = synthesizedStack(environment);
  if (environment.backend.type === "local" && process.env.CI) {
    throw new CliError(`${environment.stackName} uses the local backend: state written in CI is lost when the job ends, and the next deploy would create everything again. Configure an s3 or cloud backend for "${environment.name}" in stacks/environments.ts (README, "Running it in CI").`);
  }
  checkSynthIsCurrent(stack, environment.stackName);
  const tf = findTerraform();
  const color = !flags.has("no-color") && !process.env.CI;
  const colorArgs = color ? [] : ["-no-color"];

  await initStack(tf, stack, { color });
  const first = await planStack(tf, stack, { color });
  const { summary } = first;
  console.log(`\n${environment.stackName} (${environment.tenant}): ${countsLine(summary)}`);
  if (summary.changes.length === 0) return 0;
  console.log(describe(summary).join("\n"));
  const replaced = summary.hazards.filter((h) => h.code === "bound_action_replaced");
  if (replaced.length > 0) {
    throw new CliError(`${environment.stackName}: refusing to apply: the plan ${replaced.map((h) => h.message).join("; ")}. See README, "Removing or renaming the Action: two applies".`);
  }
  for (const h of summary.hazards) console.log(`  !! ${h.code}: ${h.message}`);

  if (!flags.has("auto-approve")) {
    if (!process.stdin.isTTY) throw new CliError(`${environment.stackName}: not a terminal, so nothing to confirm with: pass --auto-approve to apply this plan`);
    if (!(await confirm(`Apply these changes to ${environment.tenant}? Only "yes" applies: `))) {
      console.log("Not applied.");
      return 1;
    }
  }

  if (summary.unbindFirst.length > 0) {
    // Step 1: the binding alone, so the Action is no longer bound when step 2 deletes it.
    console.log(`\nStep 1 of 2: ${summary.unbindFirst.join(", ")}`);
    const step1 = await planStack(tf, stack, { color, targets: summary.unbindFirst });
    await tf.run(stack.dir, ["apply", "-input=false", ...colorArgs, PLAN_FILE]);
    console.log("\nStep 2 of 2: everything else");
    const step2 = await planStack(tf, stack, { color });
    const reviewed = new Set(summary.changes.map((c) => `${c.address}:${c.kind}`));
    const unexpected = step2.summary.changes.filter((c) => !reviewed.has(`${c.address}:${c.kind}`));
    if (unexpected.length > 0 || step1.summary.changes.length === 0) {
      throw new CliError(`${environment.stackName}: step 2 plans changes that were not in the reviewed plan (${unexpected.map((c) => `${c.kind} ${c.address}`).join(", ") || "step 1 changed nothing"}); stopped after step 1. Run "npm run deploy -- ${environment.name}" again to review.`);
    }
  }
  await tf.run(stack.dir, ["apply", "-input=false", ...colorArgs, PLAN_FILE]);
  await tf.run(stack.dir, ["output", ...colorArgs]);
  return 0;
}

if (require.main === module) runCommand(main);
