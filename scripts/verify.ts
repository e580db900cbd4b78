// npm run verify -- <env>
// Checks the live tenant against cdktf.out/stacks/auth0-<env> with the deploy credentials
// (read:actions, read:clients, read:client_grants, read:connections). Exit 1 and a diff when it drifted. Reads no
// secret value: the Action's secret is write-only, only its name is checked.
import { serializePolicy } from "../action-src/policy";
import { tenantValues } from "../stacks/action-settings";
import { managementClient } from "./lib/management-client";
import { connectionChecks, lookupError, readTenantConnections } from "./lib/policy-connections";
import { compareTenant, expectedFromSynth, formatReport, readTenant } from "./lib/verify-tenant";
import { parseCommandLine, type CommandSpec } from "./lib/command-line";
import { CliError, credentialsFor, findEnvironment, runCommand } from "./lib/target";
import { currentSynthesizedStack } from "./lib/synth-freshness";

export const VERIFY: CommandSpec = {
  name: "verify",
  usage: ["<environment>"],
  about:
    "Checks the live tenant against the synthesized stack: the Actions' deployed code and settings, their secret names, the post-login flow, the applications and their grants, and the connections the policy names. Reads only. Exit 0 when it matches, 1 and a diff when it drifted.",
  arguments: [{ name: "<environment>", about: "An environment of stacks/environments.ts (its name, or its stack auth0-<name>). One per run." }],
  options: [],
  examples: ["npm run verify -- dev"],
  notes: ["Credentials: as for plan; the application needs read:actions, read:clients, read:client_grants and read:connections."],
};

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(args, VERIFY);
  if (!parsed) return 0;
  const { positional } = parsed;
  if (positional.length > 1) throw new CliError("npm run verify: one environment per run (credentials are per tenant)", 2);
  const environment = findEnvironment(positional[0], "verify");
  const credentials = credentialsFor(environment);
  const stack = currentSynthesizedStack(environment);
  // As data.auth0_tenant reads them from the provider's AUTH0_DOMAIN (case kept, like the provider).
  const tenant = tenantValues(process.env.AUTH0_DOMAIN?.trim() || credentials.domain);
  const expected = expectedFromSynth(stack.json, tenant, JSON.parse(serializePolicy(environment.policy)));
  const client = managementClient(credentials);
  let live;
  try {
    live = await readTenant(client, expected);
  } catch (err) {
    // One line: the SDK's message spans the status and the body; Auth0's own message says enough.
    throw new CliError(`${environment.stackName}: reading ${credentials.domain} failed: ${lookupError(err, "read:actions, read:clients and read:client_grants")}`);
  }
  // Connections: without read:connections (CI's applications never hold it: it can read connection
  // secrets) the check is reported as not run; any other failure is one failed check.
  const connections = await readTenantConnections(client).catch((err: unknown) => ({ error: lookupError(err), unchecked: (err as { statusCode?: number }).statusCode === 403 }));
  const checks = [...compareTenant(expected, live), ...connectionChecks(environment, connections)];
  console.log(`verify ${environment.stackName} (${environment.tenant}) at ${credentials.domain}`);
  console.log(formatReport(environment.stackName, checks));
  return checks.every((c) => c.ok) ? 0 : 1;
}

if (require.main === module) runCommand(main);
