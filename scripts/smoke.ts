// npm run smoke -- <env>
// Proves the linking on the real tenant: two users with one fresh email on the environment's two
// smoke connections, a password-realm login as the newer, and the checks (docs/rollout.md, "Smoke test on
// a real tenant"). Needs `smoke` on for the environment and deployed, the AUTH0_* credentials of
// an application with read:clients (to find the smoke applications by name) and the smoke admin's
// credential: SMOKE_PRIVATE_KEY (smoke.publicKey, recommended) or SMOKE_ADMIN_CLIENT_SECRET (an
// admin application created outside the stack, smoke.adminClientId; any plan). Neither is stored.
// Deletes what it created, also after a failure or Ctrl-C.
//   --check-enabled   print true or false: is smoke on for the environment (no credentials, no request)
import type { ResolvedEnvironment } from "../stacks/config";
import { readPrivateKey, matchesPublicKey } from "./lib/smoke/client-assertion";
import { findSmokeApplications } from "./lib/smoke/discover";
import { runSmoke } from "./lib/smoke/run";
import { SmokeTenant, type AdminAuth } from "./lib/smoke/tenant";
import { parseCommandLine, type CommandSpec } from "./lib/command-line";
import { CliError, credentialsFor, findEnvironment, runCommand } from "./lib/target";

function smokeOf(environment: ResolvedEnvironment) {
  if (!environment.smoke) {
    throw new CliError(
      `${environment.stackName} (${environment.tenant}): the smoke test is off for this environment. ` +
        `Give its entry in stacks/environments.ts a smoke: { publicKey } (or { adminClientId }) and deploy it (docs/rollout.md, "Smoke test on a real tenant").`,
    );
  }
  return environment.smoke;
}

/** The smoke admin's credential, from the environment only (never a file, never the configuration). */
function adminAuth(environment: ResolvedEnvironment, env: NodeJS.ProcessEnv): AdminAuth {
  const smoke = smokeOf(environment);
  const where = `${environment.stackName} (${environment.tenant})`;
  if (smoke.admin.kind === "client_secret") {
    const secret = env.SMOKE_ADMIN_CLIENT_SECRET?.trim();
    if (!secret) {
      throw new CliError(
        `${where}: missing SMOKE_ADMIN_CLIENT_SECRET: set it to the client secret of the admin application ${smoke.admin.clientId} (smoke.adminClientId of "${environment.name}"), ` +
          `for this run only (in CI, the auth0-${environment.name}-smoke GitHub Environment's secret). It is never written anywhere.`,
      );
    }
    return { kind: "client_secret", secret };
  }
  const { publicKey, algorithm } = smoke.admin;
  const pem = env.SMOKE_PRIVATE_KEY?.trim();
  if (!pem) {
    throw new CliError(`${where}: missing SMOKE_PRIVATE_KEY: set it to the PEM private key whose public half is smoke.publicKey of "${environment.name}" in stacks/environments.ts (in CI, the auth0-${environment.name}-smoke GitHub Environment's secret).`);
  }
  const key = readPrivateKey(pem);
  if (!key) throw new CliError(`${where}: SMOKE_PRIVATE_KEY is not a readable PEM private key ("-----BEGIN PRIVATE KEY-----").`);
  if (!matchesPublicKey(key, publicKey)) {
    throw new CliError(`${where}: SMOKE_PRIVATE_KEY is not the private half of smoke.publicKey of "${environment.name}" (stacks/environments.ts): load ${environment.name}'s smoke key.`);
  }
  return { kind: "private_key_jwt", key, algorithm };
}

export const SMOKE: CommandSpec = {
  name: "smoke",
  usage: ["<environment> [--check-enabled]"],
  about:
    "Proves the linking on the real tenant: creates two users with one fresh email on the environment's two smoke connections, signs in as the newer, checks that they were linked, and deletes what it created (also after a failure or Ctrl-C). Needs smoke on for the environment and deployed (docs/rollout.md, \"Smoke test on a real tenant\").",
  arguments: [{ name: "<environment>", about: "An environment of stacks/environments.ts (its name, or its stack auth0-<name>). One per run." }],
  options: [{ name: "check-enabled", about: "Print true or false: is smoke on for the environment (no credentials, no request)." }],
  examples: ["npm run smoke -- dev", "npm run --silent smoke -- dev --check-enabled"],
  notes: [
    "Credentials: AUTH0_DOMAIN and AUTH0_* of an application with read:clients (it finds the smoke applications by name), and the smoke admin's: SMOKE_PRIVATE_KEY, the private half of smoke.publicKey (recommended), or, with smoke.adminClientId (any Auth0 plan), SMOKE_ADMIN_CLIENT_SECRET, that application's client secret. Neither is stored anywhere.",
  ],
};

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseCommandLine(args, SMOKE);
  if (!parsed) return 0;
  const { positional, flags } = parsed;
  if (positional.length > 1) throw new CliError("npm run smoke: one environment per run (credentials are per tenant)", 2);
  const environment = findEnvironment(positional[0], "smoke");
  if (flags.has("check-enabled")) {
    console.log(environment.smoke ? "true" : "false");
    return 0;
  }
  // Everything checked before the first request: smoke on, credentials, the key matching the config.
  smokeOf(environment);
  const credentials = credentialsFor(environment, env);
  const smoke = smokeOf(environment);
  const auth = adminAuth(environment, env);
  const ids = await findSmokeApplications(environment, credentials);

  const interrupt = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) return interrupt.abort();
    console.log(`interrupted again: leaving the test users behind (smoke connections ${smoke.connections.join(", ")}, email linking-smoke+<run>@example.com): delete them in the dashboard`);
    process.exit(130);
  };
  // A closed terminal (SIGHUP) too: the run stops and deletes its test users before exiting.
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  process.on("SIGHUP", onSigint);

  console.log(`smoke ${environment.stackName} (${environment.tenant}) at ${ids.domain}: smoke application ${ids.clientId}, smoke admin ${ids.adminId}`);
  const tenant = new SmokeTenant(ids, auth, interrupt.signal);
  const result = await runSmoke({ tenant, connections: smoke.connections, out: (line) => console.log(line), interrupt: interrupt.signal });
  process.off("SIGINT", onSigint);
  process.off("SIGTERM", onSigint);
  process.off("SIGHUP", onSigint);
  const seconds = (result.ms / 1000).toFixed(1);
  if (result.outcome === "passed") console.log(`smoke passed: ${result.checks} checks in ${seconds} s`);
  else if (result.outcome === "failed") console.log(`smoke FAILED (${result.checks} checks passed before it): the linking did not work as it should on ${ids.domain}`);
  if (result.outcome === "interrupted") return 130;
  return result.outcome === "passed" && result.cleanedUp ? 0 : 1;
}

if (require.main === module) runCommand((args) => main(args));
