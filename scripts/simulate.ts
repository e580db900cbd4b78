// npm run simulate -- <scenario>: runs the bundled Action through a named scenario
// against the local Management API emulation and shows the decision, the requests
// and the resulting accounts. `npm run simulate` lists the scenarios.
import { ManagementApiEmulator, type NewUser } from "../test/support/management-api";
import { PostLoginRuntime } from "../test/support/post-login-runtime";
import type { LinkingPolicy } from "../action-src/policy";

interface Scenario {
  about: string;
  policy?: Partial<LinkingPolicy>;
  users: NewUser[];
  logins: string[];
  setup?: (tenant: ManagementApiEmulator) => void;
}

const ada = "ada@example.com";
const gh: NewUser = { user_id: "github|1001", connection: "github", email: ada, email_verified: true, user_metadata: { theme: "dark" } };
const db: NewUser = { user_id: "auth0|db01", connection: "Username-Password-Authentication", email: ada, email_verified: true, user_metadata: { newsletter: true } };
const google: NewUser = { user_id: "google-oauth2|g1", connection: "google-oauth2", email: "Ada@Example.com", email_verified: true };

const scenarios: Record<string, Scenario> = {
  "github-then-password": { about: "GitHub account exists; the person signs up with username/password", users: [gh, db], logins: ["auth0|db01", "github|1001"] },
  "three-accounts": { about: "GitHub, then Google (mixed-case email), then username/password", users: [gh, google, db], logins: ["auth0|db01"] },
  "unverified-candidate": { about: "An unverified password account squats the email; GitHub signs in", users: [{ ...db, email_verified: false }, gh], logins: ["github|1001"] },
  "report-only": { about: "Report-only mode: would link, changes nothing", policy: { reportOnly: true }, users: [gh, db], logins: ["auth0|db01"] },
  "outage": { about: "Management API down: fail open", users: [gh, db], logins: ["auth0|db01"], setup: (t) => (t.outage = "down") },
  "outage-fail-closed": { about: "Management API down with failClosed", policy: { failClosed: true }, users: [gh, db], logins: ["auth0|db01"], setup: (t) => (t.outage = "down") },
  "rate-limited": { about: "One 429 with a 1 s reset, honoured", users: [gh, db], logins: ["auth0|db01"], setup: (t) => t.rateLimitNext(1, { resetInSeconds: 1 }) },
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const scenario = name ? scenarios[name] : undefined;
  if (!scenario) {
    if (name) console.error(`unknown scenario "${name}"\n`);
    console.error("usage: npm run simulate -- <scenario>\n");
    for (const [key, s] of Object.entries(scenarios)) console.error(`  ${key.padEnd(22)} ${s.about}`);
    process.exit(name ? 2 : 0);
  }
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  const runtime = new PostLoginRuntime(tenant, { policy: scenario.policy });
  try {
    for (const user of scenario.users) tenant.createUser(user);
    scenario.setup?.(tenant);
    console.log(`scenario: ${name}: ${scenario.about}\n`);
    for (const login of scenario.logins) {
      const outcome = await runtime.login(login);
      console.log(`login as ${login}`);
      console.log(`  outcome:   ${outcome.status}${outcome.sub ? ` (sub = ${outcome.sub})` : ""}${outcome.failure ? `: ${outcome.failure}` : ""}`);
      console.log(`  decision:  ${outcome.logs.join("\n             ")}`);
      console.log(`  requests:  ${outcome.requests.length === 0 ? "none" : outcome.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join("\n             ")}`);
      console.log(`  wall time: ${outcome.ms.toFixed(0)} ms\n`);
    }
    console.log("accounts now:");
    for (const user of tenant.users.values()) {
      const ids = user.identities.map((i) => `${i.provider}|${i.user_id}`).join(", ");
      console.log(`  ${user.user_id}  identities: [${ids}]  user_metadata: ${JSON.stringify(user.user_metadata)}  app_metadata: ${JSON.stringify(user.app_metadata)}`);
    }
  } finally {
    await runtime.close();
    await tenant.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
