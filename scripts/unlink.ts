// npm run unlink -- <environment> <secondary-user-id> [--dry-run] [--yes]
// Undoes one link: the identity leaves the primary, the re-created user gets back what the undo
// record kept, carried grants come off the primary, and the pair is never linked again.
// docs/unlink.md explains each step, the scopes it needs and how to allow a pair again.
import * as readline from "readline";
import { runUnlink } from "./lib/unlink/run";
import { UnlinkTenant } from "./lib/unlink/tenant";
import { managementClient } from "./lib/management-client";
import { parseCommandLine, type CommandSpec } from "./lib/command-line";
import { CliError, credentialsFor, findEnvironment, runCommand } from "./lib/target";

export const UNLINK: CommandSpec = {
  name: "unlink",
  usage: ["<environment> <secondary-user-id> [options]"],
  about:
    "Undoes one link: finds the primary holding the identity, prints what it will do, unlinks it (Auth0 re-creates the secondary as its own user), restores what the undo record kept onto it, takes carried grants off the primary, and marks the pair so neither the Action nor the backfill links it again. Safe to run again after a crash: it resumes.",
  arguments: [
    { name: "<environment>", about: "An environment of stacks/environments.ts; its tenant's operator credentials in AUTH0_* (never the Action's own application)." },
    { name: "<secondary-user-id>", about: "The user_id the secondary had before the link, as provider|id, e.g. google-oauth2|1234." },
  ],
  options: [
    { name: "dry-run", about: "Print what would be done; change nothing." },
    { name: "yes", about: "Do it without asking (required when there is no terminal to ask on)." },
  ],
  examples: ["npm run unlink -- dev 'google-oauth2|1234' --dry-run", "npm run unlink -- prod 'apple|001234.5f9a0c.0912' --yes"],
  notes: ["Scopes and how to allow an unlinked pair again: docs/unlink.md."],
};

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
  const parsed = parseCommandLine(args, UNLINK);
  if (!parsed) return 0;
  const { positional, flags } = parsed;
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
