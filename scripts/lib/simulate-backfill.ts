// `npm run simulate -- backfill`: the backfill, tried offline. A local emulation of Auth0 holds a
// small tenant with duplicate accounts; the real `npm run backfill` runs against it (dry run,
// review, apply), so what is printed is what a real run prints. Nothing leaves this machine, and
// the plan it writes (it names the emulation's made-up people) is removed at the end.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { EnvironmentConfig } from "../../stacks/config";
import { ManagementApiEmulator, type NewUser } from "../../test/support/management-api";
import { testCertificate } from "../../test/support/tls";
import { privateTempDir } from "./private-files";

const ROOT = path.resolve(__dirname, "..", "..");
const REGISTER_TS = path.join(ROOT, "scripts", "lib", "register-typescript.js");
const HOST = path.join(ROOT, "test", "support", "environments-host.ts");

/** The environment the walk-through configures (in place of stacks/environments.ts, for this run only). */
export const SIMULATED_ENVIRONMENT: EnvironmentConfig = {
  name: "simulation",
  tenant: "emulated tenant (offline)",
  policy: { connections: { github: "trusted", "google-oauth2": "trusted", "Username-Password-Authentication": "trusted" } },
};

const db = "Username-Password-Authentication";
/** People with more than one account, and some the rules leave alone (with why). */
export const SIMULATED_USERS: NewUser[] = [
  // Ada: GitHub first, then a password sign-up: one pair, linked.
  { user_id: "github|1001", connection: "github", email: "ada@example.com", email_verified: true },
  { user_id: "auth0|ada01", connection: db, email: "ada@example.com", email_verified: true, user_metadata: { newsletter: true } },
  // Grace: three accounts, one with the email in another case: one cluster, two links.
  { user_id: "google-oauth2|g2002", connection: "google-oauth2", email: "Grace@Example.com", email_verified: true },
  { user_id: "github|2002", connection: "github", email: "grace@example.com", email_verified: true },
  { user_id: "auth0|grace01", connection: db, email: "grace@example.com", email_verified: true },
  // Linus: his GitHub email is not verified: that account is left out.
  { user_id: "auth0|linus01", connection: db, email: "linus@example.com", email_verified: true },
  { user_id: "github|3003", connection: "github", email: "linus@example.com", email_verified: false },
  // Barbara: a connection the policy does not trust ("confirm"): the backfill leaves it to the
  // person, who is asked at the next login.
  { user_id: "auth0|barbara01", connection: db, email: "barbara@example.com", email_verified: true },
  { user_id: "samlp|corp-barbara", connection: "corp-saml", email: "barbara@example.com", email_verified: true },
  // Margaret: one account, nothing to do.
  { user_id: "auth0|margaret01", connection: db, email: "margaret@example.com", email_verified: true },
];

const CLIENT = { clientId: "simulated-operator", clientSecret: "simulated-operator-secret", scopes: ["read:users", "update:users", "read:roles", "read:organizations", "read:organization_member_roles", "read:authentication_methods"], name: "Backfill (simulation)" };

/** Runs `npm run backfill -- <args>` against the emulation, its output passed through as it comes. */
function backfill(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  console.log(`\n$ npm run backfill -- ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", REGISTER_TS, HOST, JSON.stringify([SIMULATED_ENVIRONMENT]), path.join(ROOT, "scripts", "backfill.ts"), ...args], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
}

function printAccounts(tenant: ManagementApiEmulator, title: string): void {
  console.log(`\n${title}`);
  for (const user of tenant.users.values()) {
    const ids = user.identities.map((i) => `${i.provider}|${i.user_id}`).join(", ");
    console.log(`  ${user.user_id.padEnd(22)} ${String(user.email).padEnd(22)} verified: ${String(user.email_verified).padEnd(5)}  identities: [${ids}]`);
  }
}

export async function simulateBackfill(): Promise<number> {
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  const dir = privateTempDir("linking-simulate-backfill-");
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    tenant.addClient(CLIENT);
    tenant.exportPollsBeforeDone = 0;
    for (const user of SIMULATED_USERS) tenant.createUser(user);
    console.log("scenario: backfill: the tenant already has people with more than one account; the backfill links them with the Action's rules.");
    console.log(`It runs the real npm run backfill against a local emulation of Auth0 at ${tenant.domain}, with this environment in place of stacks/environments.ts:`);
    console.log(`  ${JSON.stringify(SIMULATED_ENVIRONMENT)}`);
    printAccounts(tenant, "accounts before:");

    const planFile = path.join(dir, "plan.jsonl");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AUTH0_DOMAIN: tenant.domain,
      AUTH0_CLIENT_ID: CLIENT.clientId,
      AUTH0_CLIENT_SECRET: CLIENT.clientSecret,
      NODE_EXTRA_CA_CERTS: testCertificate().certPath,
    };
    delete env.AUTH0_API_TOKEN;
    delete env.AUTH0_CLIENT_ASSERTION_PRIVATE_KEY;
    const name = SIMULATED_ENVIRONMENT.name;
    const steps: string[][] = [
      [name, "--dry-run", "--out", planFile],
      [name, "--show", planFile],
      [name, "--apply", planFile],
      // Run again: the journal says everything is done, nothing is sent twice.
      [name, "--apply", planFile],
    ];
    for (const args of steps) {
      const before = tenant.apiRequests().length;
      const code = await backfill(args, env);
      const sent = tenant.apiRequests().slice(before);
      // The export job is a POST that changes no account; links and metadata merges do.
      const writes = sent.filter((r) => r.method !== "GET" && !r.path.startsWith("/api/v2/jobs/")).length;
      console.log(`\n  (exit ${code}; ${sent.length} Management API request(s), ${writes} of them changing accounts)`);
      if (code !== 0) return code;
    }
    printAccounts(tenant, "accounts now:");
    console.log(`\nThe plan, its summary and journal (${dir}) are deleted now; a real run keeps them under .backfill/<environment>/ until you delete them.`);
    return 0;
  } finally {
    await tenant.stop();
  }
}
