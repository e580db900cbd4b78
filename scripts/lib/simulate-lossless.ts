// npm run simulate scenarios for links that lose nothing (issue 18): a role holder refused,
// carry, an oversized cluster, and an unlink followed by the next login of both accounts.
import { MANAGEMENT_SCOPES } from "../../stacks/management-scopes";
import type { ManagementApiEmulator, NewUser } from "../../test/support/management-api";
import { cleanEnv, runWithEnvironments } from "../../test/support/run-script";
import type { LinkingPolicy } from "../../action-src/policy";
import type { Scenario } from "../simulate";

const ada = "ada@example.com";
const gh: NewUser = { user_id: "github|1001", connection: "github", email: ada, email_verified: true, user_metadata: { theme: "dark" } };
const db: NewUser = { user_id: "auth0|db01", connection: "Username-Password-Authentication", email: ada, email_verified: true, user_metadata: { newsletter: true }, app_metadata: { plan: "free" } };
const TRUSTED: Partial<LinkingPolicy> = { connections: { github: "trusted", "Username-Password-Authentication": "trusted" } };

const OPERATOR = { clientId: "simulate-operator", clientSecret: "simulate-operator-secret" };
const UNLINK_SCOPES = ["create:role_members", "delete:role_members", "create:organization_members", "delete:organization_members", "create:organization_member_roles", "delete:organization_member_roles"];

/** Runs `npm run unlink -- sim <id> --yes` against the emulated tenant, as an operator would; returns its output lines. */
function unlink(secondary: string, policy: Partial<LinkingPolicy>) {
  return async (tenant: ManagementApiEmulator): Promise<string[]> => {
    if (!tenant.clients.has(OPERATOR.clientId)) tenant.addClient({ ...OPERATOR, scopes: [...MANAGEMENT_SCOPES, ...UNLINK_SCOPES] });
    const env = cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: OPERATOR.clientId, AUTH0_CLIENT_SECRET: OPERATOR.clientSecret });
    const result = await runWithEnvironments([{ name: "sim", tenant: "emulated tenant", policy }], "unlink", ["sim", secondary, "--yes"], env);
    return [...result.stdout.trim().split("\n"), ...(result.stderr.trim() ? result.stderr.trim().split("\n") : []), `(exit ${result.code})`];
  };
}

export const losslessScenarios: Record<string, Scenario> = {
  "role-holder-refused": {
    about: "The username/password account holds a tenant role the GitHub account lacks: not linked (authorization: refuse)",
    policy: TRUSTED,
    users: [gh, db],
    logins: ["auth0|db01", "auth0|db01"],
    setup: (t) => t.lossless.assignRoles("auth0|db01", ["rol_admin"]),
  },
  carry: {
    about: "authorization: carry: the GitHub account is given the role and the Organization membership first, then linked; the undo record says what was added",
    policy: { ...TRUSTED, authorization: "carry" },
    users: [gh, db],
    logins: ["auth0|db01"],
    setup: (t) => {
      t.lossless.assignRoles("auth0|db01", ["rol_admin"]);
      t.lossless.addMember("org_acme", "auth0|db01", ["rol_billing"]);
    },
  },
  oversized: {
    about: "The username/password account carries 9.5 kB of user_metadata: linking would pass maxProfileBytes, so it is refused and snoozed",
    policy: TRUSTED,
    users: [gh, { ...db, user_metadata: { notes: "x".repeat(9_500) } }],
    logins: ["auth0|db01", "auth0|db01"],
  },
  "unlink-then-login": {
    about: "Linked at login, then undone with npm run unlink; the next logins of both accounts link nothing",
    policy: TRUSTED,
    users: [gh, db],
    logins: ["auth0|db01", { run: unlink("auth0|db01", TRUSTED), says: "npm run unlink -- sim auth0|db01 --yes" }, "auth0|db01", "github|1001", "auth0|db01"],
  },
};
