// The backfill under the lossless rules (issue 18): the same decide function with the same
// inputs as a login: oversized clusters counted and listed by the dry run, holdings read live in
// apply before each link (a role holder is refused), unlinked pairs left alone.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UNLINKED_KEY } from "../../action-src/decide";
import type { EnvironmentConfig } from "../../stacks/config";
import { MANAGEMENT_SCOPES } from "../../stacks/management-scopes";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, runScript } from "../support/run-script";

jest.setTimeout(120_000);

const HOST = path.join(__dirname, "..", "support", "backfill-host.ts");
const CLIENT = { clientId: "backfill", clientSecret: "backfill-secret", scopes: [...MANAGEMENT_SCOPES] };
const environment: EnvironmentConfig = { name: "dev", tenant: "development tenant", policy: { connections: { github: "trusted", "google-oauth2": "trusted" } } };
const tenant = new ManagementApiEmulator();
const dirs: string[] = [];

beforeAll(() => tenant.start());
afterAll(async () => {
  await tenant.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  tenant.reset();
  tenant.addClient(CLIENT);
});

const host = (args: Record<string, unknown>) =>
  runScript(HOST, [JSON.stringify({ environment, ...args })], cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: CLIENT.clientId, AUTH0_CLIENT_SECRET: CLIENT.clientSecret }));

async function dryRun(): Promise<{ planFile: string; stdout: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-backfill-lossless-"));
  dirs.push(dir);
  const planFile = path.join(dir, "plan.jsonl");
  const result = await host({ mode: "dry-run", planFile, workDir: dir });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return { planFile, stdout: result.stdout };
}

const pair = (n: number, extra: { user_metadata?: Record<string, unknown>; app_metadata?: Record<string, unknown> } = {}) => {
  tenant.createUser({ user_id: `github|${n}`, connection: "github", email: `p${n}@example.com`, email_verified: true });
  tenant.createUser({ user_id: `google-oauth2|${n}`, connection: "google-oauth2", email: `p${n}@example.com`, email_verified: true, ...extra });
};

test("the dry run counts and lists oversized clusters (no email in the list) and plans the rest", async () => {
  pair(1);
  pair(2, { user_metadata: { notes: "x".repeat(9_500) } });
  const { planFile, stdout } = await dryRun();
  expect(stdout).toContain("would link                1 clusters, 1 links");
  expect(stdout).toMatch(/oversized +1 clusters whose primary would pass maxProfileBytes/);
  expect(stdout).toMatch(/ {4}github\|2 {2}~\d{1,2},\d{3} bytes/);
  expect(stdout).not.toContain("@example.com");
  expect(fs.readFileSync(planFile, "utf8")).not.toContain("github|2");
});

test("apply reads holdings before each link: a secondary holding a role the primary lacks is refused, the other cluster linked", async () => {
  pair(1);
  pair(2);
  const { planFile } = await dryRun();
  tenant.lossless.assignRoles("google-oauth2|2", ["rol_admin"]);
  const result = await host({ mode: "apply", planFile });
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("refused: a secondary holds roles, permissions or Organizations the primary lacks 1");
  expect(tenant.user("google-oauth2|1")).toBeUndefined();
  expect(tenant.user("google-oauth2|2")).toBeDefined();
  expect(tenant.lossless.holdingsOf("google-oauth2|2").roles).toEqual(["rol_admin"]);
  expect(tenant.requests.some((r) => r.path === "/api/v2/users/google-oauth2%7C2/roles")).toBe(true);
});

test("a pair an operator unlinked is left alone by the dry run", async () => {
  pair(1, { app_metadata: { [UNLINKED_KEY]: ["github|1"] } });
  pair(2);
  const { stdout } = await dryRun();
  expect(stdout).toContain("would link                1 clusters, 1 links");
  expect(stdout).toContain("unlinked by an operator 1");
});
