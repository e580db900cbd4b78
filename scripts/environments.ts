// npm run --silent environments -- [--github-matrix [--pull-request]]
// Lists the configured environments in promotion order. --github-matrix prints the JSON the
// workflows turn into a job matrix, so CI follows stacks/environments.ts instead of a copy.
// --pull-request leaves out every environment marked `production: true`: unreviewed code never
// runs with its credentials; it is planned after merge, and that plan is what its reviewers approve.
import { parseCommandLine, type CommandSpec } from "./lib/command-line";
import { configuredEnvironments, runCommand } from "./lib/target";

export function githubMatrix(options: { pullRequest?: boolean } = {}, configured = configuredEnvironments()): Array<{ name: string; stack: string; backend: string; production: boolean }> {
  const list = options.pullRequest ? configured.filter((e) => !e.production) : configured;
  return list.map((e) => ({ name: e.name, stack: e.stackName, backend: e.backend.type, production: e.production }));
}

export const ENVIRONMENTS: CommandSpec = {
  name: "environments",
  usage: ["[--github-matrix [--pull-request]]"],
  about: "Lists the environments of stacks/environments.ts in promotion order, with their stack, tenant, backend and binding; those marked production: true are said so.",
  options: [
    { name: "github-matrix", about: "Print the JSON job matrix the workflows use ([{ name, stack, backend }])." },
    { name: "pull-request", about: "With --github-matrix: leave out every production environment (planned after merge, never with unreviewed code)." },
  ],
  examples: ["npm run environments", "npm run --silent environments -- --github-matrix --pull-request"],
};

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(args, ENVIRONMENTS);
  if (!parsed) return 0;
  const { flags } = parsed;
  if (flags.has("github-matrix")) {
    console.log(JSON.stringify(githubMatrix({ pullRequest: flags.has("pull-request") })));
  } else {
    const all = configuredEnvironments();
    for (const e of all) {
      console.log(`${e.name.padEnd(12)} ${e.stackName.padEnd(18)} ${e.tenant}${e.domain ? ` (${e.domain})` : ""}, backend ${e.backend.type}, binding ${e.binding}${e.policy.reportOnly ? ", report-only" : ""}${e.production ? ", production (not planned on pull requests)" : ""}`);
    }
  }
  return 0;
}

if (require.main === module) runCommand(main);
