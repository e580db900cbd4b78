// npm run unlink -- <environment> <secondary-user-id> [--dry-run] [--yes]
// Undoes one link: the identity leaves the primary, the re-created user gets back what the undo
// record kept, carried grants come off the primary, and the pair is never linked again.
// docs/unlink.md explains each step, the scopes it needs and how to allow a pair again.
import * as readline from "readline";
import { runUnlink } from "./lib/unlink/run";
import { UnlinkTenant } from "./lib/unlink/tenant";
import { managementClient } from "./lib/management-client";
import { CliError, credentialsFor, findEnvironment, parseOptions, runCommand } from "./lib/target";

export const USAGE = [
  "usage: npm run unlink -- <environment> <secondary-user-id> [--dry-run] [--yes]",
  "",
  "  <environment>        an environment in stacks/environments.ts (its tenant's credentials in AUTH0_*)",
  "  <secondary-user-id>  the user_id the secondary had before the link, e.g. google-oauth2|1234",
  "  --dry-run            print what would be done; change nothing",
  "  --yes                do it without asking (required when there is no terminal to ask on)",
  "  --help               this text",
  "",
  "example: npm run unlink -- dev google-oauth2|1234 --dry-run",
].join("\n");

function ask(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  return new Promise((resolve) =>
    rl.question(question, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    }),
  );
}

export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const { positional, flags } = parseOptions(args, { flags: ["dry-run", "yes"], values: [] }, "unlink");
  if (positional.length !== 2) throw new CliError(`npm run unlink: give an environment and one secondary user_id (npm run unlink -- --help)`, 2);
  const environment = findEnvironment(positional[0], "unlink");
  const secondary = positional[1].trim();
  if (!/^[^|\s]+\|\S+$/.test(secondary)) throw new CliError(`"${positional[1]}" is not a user_id: give it as provider|id, e.g. google-oauth2|1234`, 2);
  const dryRun = flags.has("dry-run");
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (!dryRun && !flags.has("yes") && !interactive) throw new CliError("npm run unlink: no terminal to ask on: add --yes to unlink (or --dry-run to look)", 2);
  const credentials = credentialsFor(environment);
  const api = new UnlinkTenant(managementClient(credentials, { maxRetries: 2 }));
  return runUnlink(api, {
    secondary,
    dryRun,
    print: (line) => console.log(line),
    confirm: async () => flags.has("yes") || ask("Unlink? [y/N] "),
  });
}

if (require.main === module) runCommand(main);
