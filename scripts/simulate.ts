// npm run simulate -- <scenario>: runs the bundled Actions through a named scenario against
// the local emulation of Auth0 and shows each step, the decision and why, the requests and
// the resulting accounts. `npm run simulate` lists the scenarios.
import { ManagementApiEmulator, type NewUser } from "../test/support/management-api";
import { PostLoginRuntime, type LoginOptions } from "../test/support/post-login-runtime";
import type { LinkingPolicy } from "../action-src/policy";
import { readCommandLine, type CommandSpec } from "./lib/command-line";
import { exitOnEndingSignals } from "./lib/private-files";
import { explain, IGNORED_REASONS } from "./lib/reason-codes";
import { simulateBackfill } from "./lib/simulate-backfill";
import { losslessScenarios } from "./lib/simulate-lossless";

export interface Scenario {
  about: string;
  policy?: Partial<LinkingPolicy>;
  confirmation?: boolean;
  users: NewUser[];
  /** Logins, and operator steps between them (`run`, e.g. npm run unlink). */
  logins: Array<string | { user: string; options: LoginOptions; says?: string } | { run: (tenant: ManagementApiEmulator) => Promise<string[]>; says: string }>;
  setup?: (tenant: ManagementApiEmulator) => void;
}

const ada = "ada@example.com";
const gh: NewUser = { user_id: "github|1001", connection: "github", email: ada, email_verified: true, user_metadata: { theme: "dark" } };
const db: NewUser = { user_id: "auth0|db01", connection: "Username-Password-Authentication", email: ada, email_verified: true, user_metadata: { newsletter: true } };
const google: NewUser = { user_id: "google-oauth2|g1", connection: "google-oauth2", email: "Ada@Example.com", email_verified: true };
/** Like the example `dev` environment: the connections the scenarios use are trusted. */
const TRUSTED: Partial<LinkingPolicy> = { connections: { github: "trusted", "google-oauth2": "trusted", "Username-Password-Authentication": "trusted" } };

const scenarios: Record<string, Scenario> = {
  "github-then-password": { about: "GitHub account exists; the person signs up with username/password (both trusted)", policy: TRUSTED, users: [gh, db], logins: ["auth0|db01", "github|1001"] },
  "three-accounts": { about: "GitHub, then Google (mixed-case email), then username/password", policy: TRUSTED, users: [gh, google, db], logins: ["auth0|db01"] },
  "case-variant": { about: "GitHub stored as Ada@Example.com; a database sign-up finds it by the case-insensitive search", policy: TRUSTED, users: [{ ...gh, email: "Ada@Example.com" }, db], logins: ["auth0|db01"] },
  "case-variant-unverified": { about: "The mixed-case GitHub account is unverified: found, and left out with the reason", policy: TRUSTED, users: [{ ...gh, email: "Ada@Example.com", email_verified: false }, db], logins: ["auth0|db01"] },
  "unverified-candidate": { about: "An unverified password account squats the email; GitHub signs in", policy: TRUSTED, users: [{ ...db, email_verified: false }, gh], logins: ["github|1001"] },
  "default-policy": { about: "No connection declared trusted: nothing links, and nobody is sent to sign in to an untrusted account", confirmation: true, users: [gh, db], logins: ["auth0|db01", "auth0|db01"] },
  "pre-hijack": { about: "An attacker's older database account (confirm) and the victim's Google login (trusted)", policy: { connections: { "google-oauth2": "trusted" } }, users: [{ ...db, user_id: "auth0|attacker" }, { ...google, email: ada }], logins: ["google-oauth2|g1"] },
  "confirm-link": {
    about: "Confirmation: a database login (confirm) finds a GitHub account (trusted); the person chooses \"Sign in to link\" and signs in to it",
    policy: { connections: { github: "trusted" } },
    confirmation: true,
    users: [gh, db],
    logins: [{ user: "auth0|db01", options: { form: "link" }, says: "chooses \"Sign in to link\", then signs in with GitHub" }, "github|1001"],
  },
  "confirm-not-now": { about: "Confirmation: the person chooses \"Not now\"; the next login is not asked again", policy: { connections: { github: "trusted" } }, confirmation: true, users: [gh, db], logins: [{ user: "auth0|db01", options: { form: "later" }, says: "chooses \"Not now\"" }, "auth0|db01"] },
  "confirm-wrong-account": {
    about: "Confirmation: someone signs in to a different GitHub account",
    policy: { connections: { github: "trusted" } },
    confirmation: true,
    users: [gh, db, { user_id: "github|2002", connection: "github", email: "mallory@example.com", email_verified: true }],
    logins: [{ user: "auth0|db01", options: { form: "link" }, says: "signs in as github|2002" }],
    setup: (t) => (t.oauth.nextSignIn = { userId: "github|2002" }),
  },
  "confirm-phishing": {
    about: "Phishing attempt: an attacker's database account (confirm) with the victim's address starts a login, chooses \"Sign in to link\" and hands the GitHub sign-in link to the victim, who signs in from their own browser",
    policy: { connections: { github: "trusted" } },
    confirmation: true,
    users: [gh, { ...db, user_id: "auth0|attacker" }],
    logins: [
      {
        user: "auth0|attacker",
        // The victim's browser completes the nested /authorize (another address and user agent).
        options: { form: "link", authorizeIn: { ip: "192.0.2.44", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15" } },
        says: "chooses \"Sign in to link\"; the victim completes the GitHub sign-in in another browser, which the confirmation Action denies (confirm.other_browser)",
      },
    ],
  },
  "report-only": { about: "Report-only mode: would link, changes nothing but its own marker", policy: { ...TRUSTED, reportOnly: true }, users: [gh, db], logins: ["auth0|db01", "auth0|db01"] },
  outage: { about: "Management API down: fail open", policy: TRUSTED, users: [gh, db], logins: ["auth0|db01"], setup: (t) => (t.outage = "down") },
  "outage-fail-closed": { about: "Management API down with failClosed", policy: { ...TRUSTED, failClosed: true }, users: [gh, db], logins: ["auth0|db01"], setup: (t) => (t.outage = "down") },
  "rate-limited": { about: "One 429 with a 1 s reset, honoured", policy: TRUSTED, users: [gh, db], logins: ["auth0|db01"], setup: (t) => t.rateLimitNext(1, { resetInSeconds: 1 }) },
  ...losslessScenarios,
};

/** Not a login scenario: the backfill walk-through (scripts/lib/simulate-backfill.ts). */
const BACKFILL = "backfill";

function spec(): CommandSpec {
  const width = Math.max(...Object.keys(scenarios).map((k) => k.length)) + 2;
  return {
    name: "simulate",
    usage: ["<scenario>"],
    about:
      "Runs the bundled Actions through a named scenario against a local emulation of Auth0 (offline, no tenant, no credentials) and shows each login: the decision and why, the Management API requests and the accounts afterwards.",
    arguments: [{ name: "<scenario>", about: "One of the scenarios below." }],
    options: [],
    examples: ["npm run simulate -- github-then-password", "npm run simulate -- confirm-link", "npm run simulate -- backfill"],
    notes: [
      "Scenarios:",
      ...Object.entries(scenarios).map(([key, s]) => `  ${key.padEnd(width)}${s.about}`),
      `  ${BACKFILL.padEnd(width)}The backfill offline: a tenant with duplicate accounts, npm run backfill's dry run, review and apply against it`,
    ],
  };
}

async function main(): Promise<void> {
  const { positional } = readCommandLine(process.argv.slice(2), spec());
  const name = positional[0];
  exitOnEndingSignals();
  if (name === BACKFILL && positional.length === 1) process.exit(await simulateBackfill());
  const scenario = name ? scenarios[name] : undefined;
  if (!scenario || positional.length > 1) {
    if (!name) {
      process.stdout.write(spec().notes!.join("\n") + "\n\nRun one: npm run simulate -- <scenario> (npm run simulate -- --help for more)\n");
      process.exit(0);
    }
    console.error(`error: ${positional.length > 1 ? "one scenario per run" : `unknown scenario "${name}"`}. Run "npm run simulate -- --help" for the list.`);
    process.exit(2);
  }
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  const runtime = new PostLoginRuntime(tenant, { policy: scenario.policy, confirmation: scenario.confirmation });
  try {
    for (const user of scenario.users) tenant.createUser(user);
    scenario.setup?.(tenant);
    console.log(`scenario: ${name}: ${scenario.about}\n`);
    for (const login of scenario.logins) {
      if (typeof login !== "string" && "run" in login) {
        console.log(`operator: ${login.says}`);
        for (const line of await login.run(tenant)) console.log(`  ${line}`);
        console.log("");
        continue;
      }
      const { user, options, says } = typeof login === "string" ? { user: login, options: {}, says: undefined } : login;
      const outcome = await runtime.login(user, options);
      console.log(`login as ${user}${says ? ` (the person ${says})` : ""}`);
      if (outcome.steps.length > 1) {
        console.log(`  steps:     ${outcome.steps.map((s) => `${s.action}.${s.phase}${s.pause ? ` → ${s.pause}` : ""}`).join("\n             ")}`);
      }
      console.log(`  outcome:   ${outcome.status}${outcome.sub ? ` (sub = ${outcome.sub})` : ""}${outcome.failure ? `: ${outcome.failure}` : ""}`);
      for (const decision of outcome.decisions) {
        console.log(`  decision:  ${JSON.stringify(decision)}`);
        console.log(`  why:       ${explain(decision)}`);
        for (const reason of Array.isArray(decision.ignored) ? decision.ignored : []) {
          console.log(`             an account was left out: ${IGNORED_REASONS[`ineligible.${reason}`] ?? reason}`);
        }
      }
      console.log(`  requests:  ${outcome.requests.length === 0 ? "none" : outcome.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join("\n             ")}`);
      console.log(`  wall time: ${outcome.ms.toFixed(0)} ms\n`);
    }
    console.log("accounts now:");
    for (const user of tenant.users.values()) {
      const ids = user.identities.map((i) => `${i.provider}|${i.user_id}`).join(", ");
      console.log(`  ${user.user_id}  identities: [${ids}]  user_metadata: ${JSON.stringify(user.user_metadata)}  app_metadata: ${JSON.stringify(user.app_metadata)}`);
      const holds = tenant.lossless.holdingsOf(user.user_id);
      if (holds.roles.length + holds.permissions.length + holds.organizations.length + holds.factors.length > 0) console.log(`    holds: ${JSON.stringify(holds)}`);
    }
  } finally {
    await runtime.close();
    await tenant.stop();
  }
}

if (require.main === module) main().catch((err) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
