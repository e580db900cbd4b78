// npm run plan -- <env> [--markdown <file>] [--run-url <url>] [--commit <sha>] [--no-color]
// terraform init + plan in cdktf.out/stacks/auth0-<env>, then a summary; --markdown writes the
// pull-request comment (also when the plan fails, so the pull request says why).
import * as fs from "fs";
import { planComment } from "./lib/plan-comment";
import { countsLine } from "./lib/plan-summary";
import { initStack, planStack } from "./lib/stack-plan";
import { CliError, credentialsFor, findEnvironment, parseOptions, runCommand, synthesizedStack } from "./lib/target";
import { findTerraform, TerraformFailed } from "./lib/terraform";

export async function main(args: string[]): Promise<number> {
  const { positional, flags, values } = parseOptions(args, { flags: ["no-color"], values: ["markdown", "run-url", "commit"] }, "plan");
  if (positional.length > 1) throw new CliError("npm run plan: one environment per run (the provider reads process-wide AUTH0_* variables)", 2);
  const environment = findEnvironment(positional[0], "plan");
  credentialsFor(environment);
  const stack = synthesizedStack(environment);
  const tf = findTerraform();
  const markdown = values.get("markdown");
  const notes: string[] = [];
  if (environment.backend.type === "local" && process.env.CI) {
    const note = `${environment.stackName} uses the local backend: in CI there is no state, so this plan starts from an empty tenant. Configure an s3 or cloud backend (README, "Running it in CI").`;
    console.warn(`warning: ${note}`);
    notes.push(note);
  }
  const comment = { environment: environment.name, stackName: environment.stackName, runUrl: values.get("run-url"), commit: values.get("commit"), notes };
  try {
    const color = !flags.has("no-color") && !process.env.CI;
    await initStack(tf, stack, { color });
    const { summary, text } = await planStack(tf, stack, { color });
    console.log(`\n${environment.stackName}: ${countsLine(summary)}`);
    for (const h of summary.hazards) console.log(`  !! ${h.code}: ${h.message}`);
    if (markdown) fs.writeFileSync(markdown, planComment({ ...comment, summary, planText: text }));
    return 0;
  } catch (err) {
    if (err instanceof TerraformFailed && markdown) {
      fs.writeFileSync(markdown, planComment({ ...comment, planText: err.output.split("\n").slice(-80).join("\n") }));
    }
    throw err;
  }
}

if (require.main === module) runCommand(main);
