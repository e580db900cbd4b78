// A damaged export line ends the dry run with one error: line naming the line (issue 20, item 9):
// an account whose identities are not a list would otherwise be judged by no connection at all and
// reported as "left for confirmation (a connection involved is not trusted)".
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolvePolicy } from "../../action-src/policy";
import { partitionUsers } from "../../scripts/lib/backfill/partition";
import type { EnvironmentConfig } from "../../stacks/config";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, runScript } from "../support/run-script";

const made: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-backfill-input-"));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

async function* from(lines: string[]) {
  yield* lines;
}

const policy = resolvePolicy({ connections: { github: "trusted" } });
const good = { user_id: "github|1", email: "ada@example.com", email_verified: true, identities: [{ connection: "github", provider: "github", user_id: "1" }] };

describe("export lines with damaged identities", () => {
  test.each([
    ["a string", "github", "identities is not a list"],
    ["an object", { connection: "github" }, "identities is not a list"],
    ["missing", undefined, "no identities"],
    ["empty", [], "identities is empty"],
    ["a list of strings", ["github|2"], "identities[0] is not an identity (connection, provider, user_id)"],
  ])("identities %s: the dry run stops, naming the line", async (_what, identities, problem) => {
    const damaged = { user_id: "auth0|2", email: "ada@example.com", email_verified: true, ...(identities === undefined ? {} : { identities }) };
    const lines = [JSON.stringify(good), "", JSON.stringify(damaged)];
    await expect(partitionUsers(from(lines), tmp(), policy)).rejects.toThrow(`the export's line 3 is damaged (${problem}): the download is damaged. Nothing was planned; run the dry run again`);
  });

  test("npm run backfill's dry run: one error: line, no plan, nothing left behind", async () => {
    const tenant = new ManagementApiEmulator();
    await tenant.start();
    try {
      tenant.addClient({ clientId: "backfill", clientSecret: "backfill-secret", scopes: ["read:users", "update:users"] });
      tenant.createUser({ user_id: "github|1", connection: "github", email: "ada@example.com", email_verified: true });
      tenant.createUser({ user_id: "auth0|2", connection: "Username-Password-Authentication", email: "ada@example.com", email_verified: true });
      (tenant.users.get("auth0|2") as unknown as { identities: unknown }).identities = "auth0|2";
      const environment: EnvironmentConfig = { name: "dev", tenant: "development tenant", policy: { connections: { github: "trusted" } } };
      const dir = tmp();
      const planFile = path.join(dir, "plan.jsonl");
      const result = await runScript(path.join(__dirname, "..", "support", "backfill-host.ts"), [JSON.stringify({ environment, mode: "dry-run", planFile, workDir: dir })], cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: "backfill", AUTH0_CLIENT_SECRET: "backfill-secret" }));
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: the export's line \d is damaged \(identities is not a list\): the download is damaged\. Nothing was planned; run the dry run again$/)]);
      expect(result.stdout).not.toContain("left for confirmation");
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      await tenant.stop();
    }
  }, 60_000);
});
