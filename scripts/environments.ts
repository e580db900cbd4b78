// npm run --silent environments -- [--github-matrix]
// Lists the configured environments in promotion order. --github-matrix prints the JSON the
// workflows turn into a job matrix, so CI follows stacks/environments.ts instead of a copy.
import { resolveEnvironments } from "../stacks/config";
import { environments } from "../stacks/environments";
import { parseOptions, runCommand } from "./lib/target";

export function githubMatrix(): Array<{ name: string; stack: string; backend: string }> {
  return resolveEnvironments(environments).map((e) => ({ name: e.name, stack: e.stackName, backend: e.backend.type }));
}

export async function main(args: string[]): Promise<number> {
  const { flags } = parseOptions(args, { flags: ["github-matrix"], values: [] }, "environments");
  if (flags.has("github-matrix")) {
    console.log(JSON.stringify(githubMatrix()));
  } else {
    for (const e of resolveEnvironments(environments)) {
      console.log(`${e.name.padEnd(12)} ${e.stackName.padEnd(18)} ${e.tenant}${e.domain ? ` (${e.domain})` : ""}, backend ${e.backend.type}, binding ${e.binding}${e.policy.reportOnly ? ", report-only" : ""}`);
    }
  }
  return 0;
}

if (require.main === module) runCommand(main);
