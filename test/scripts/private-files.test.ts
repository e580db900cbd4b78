// Personal data on disk: a backfill dry run stopped by Ctrl-C, a kill or a closed terminal leaves
// no partition and no partial plan; what it writes is readable by the operator only, even under
// `umask 000`. The signals go to a real `npm run backfill` process.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolvePolicy } from "../../action-src/policy";
import { partitionUsers } from "../../scripts/lib/backfill/partition";
import type { EnvironmentConfig } from "../../stacks/config";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, REGISTER_TS, type ScriptResult } from "../support/run-script";

const ROOT = path.resolve(__dirname, "..", "..");
const HOST = path.join(__dirname, "..", "support", "environments-host.ts");
const ENVIRONMENTS: EnvironmentConfig[] = [{ name: "dev", tenant: "development tenant", policy: { connections: { github: "trusted", "Username-Password-Authentication": "trusted" } } }];
const CLIENT = { clientId: "backfill", clientSecret: "backfill-secret", scopes: ["read:users", "update:users"] };

const made: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-private-"));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
const mode = (file: string) => fs.statSync(file).mode & 0o777;
/** What a run left in `dir` (a compile cache a tool may keep there aside). */
const leftIn = (dir: string) => fs.readdirSync(dir).filter((f) => !f.startsWith("v8-compile-cache"));

/** `npm run backfill -- <args>` under `umask 000` (sh sets it, then becomes node), with its own TMPDIR. */
function startBackfill(args: string[], env: NodeJS.ProcessEnv): { child: import("child_process").ChildProcess; done: Promise<ScriptResult> } {
  const node = [process.execPath, "-r", REGISTER_TS, HOST, JSON.stringify(ENVIRONMENTS), path.join(ROOT, "scripts", "backfill.ts"), ...args];
  const child = spawn("/bin/sh", ["-c", 'umask 000 && exec "$@"', "sh", ...node], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const done = new Promise<ScriptResult>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c));
    child.stderr!.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 + os.constants.signals[signal] : 1), stdout, stderr }));
  });
  return { child, done };
}

describe("npm run backfill -- <env> --dry-run, stopped while it holds people's emails on disk", () => {
  const tenant = new ManagementApiEmulator();
  beforeAll(() => tenant.start());
  // The held download answers 4 s later, to a process that is gone: let it, before stopping.
  afterAll(async () => {
    await new Promise((r) => setTimeout(r, 4_000));
    await tenant.stop();
  });
  beforeEach(() => {
    tenant.reset();
    tenant.addClient(CLIENT);
    tenant.exportPollsBeforeDone = 0;
    tenant.createUser({ user_id: "github|1", connection: "github", email: "ada@example.com", email_verified: true });
    tenant.createUser({ user_id: "auth0|2", connection: "Username-Password-Authentication", email: "ada@example.com", email_verified: true });
  });

  test.each<[NodeJS.Signals, number]>([
    ["SIGHUP", 129],
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ])("%s: the partitions are removed, nothing is left; exit %i", async (signal, code) => {
    const temp = tmp();
    const out = path.join(tmp(), "plans");
    const run = startBackfill(["dev", "--dry-run", "--out", path.join(out, "plan.jsonl")], cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: CLIENT.clientId, AUTH0_CLIENT_SECRET: CLIENT.clientSecret, TMPDIR: temp }));
    // Hold the export's download: the partitions exist (made before the first line is read) until it answers.
    while (!tenant.requests.some((r) => r.path.startsWith("/api/v2/jobs/job_"))) await new Promise((r) => setTimeout(r, 10));
    tenant.latencyMs = 4_000;
    const partitions = () => leftIn(temp).filter((f) => f.startsWith("linking-partitions-"));
    while (partitions().length === 0 && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    expect(partitions()).toHaveLength(1);
    expect(mode(path.join(temp, partitions()[0]))).toBe(0o700);
    expect(mode(out)).toBe(0o700);
    run.child.kill(signal);
    const result = await run.done;
    expect(result.code).toBe(code);
    expect(leftIn(temp)).toEqual([]);
    expect(leftIn(out)).toEqual([]);
  });

  test("under umask 000 the plan's directories are 0700 and its files 0600", async () => {
    const base = tmp();
    const planFile = path.join(base, ".backfill", "dev", "plan.jsonl");
    const run = startBackfill(["dev", "--dry-run", "--out", planFile], cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: CLIENT.clientId, AUTH0_CLIENT_SECRET: CLIENT.clientSecret, TMPDIR: tmp() }));
    const result = await run.done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect([mode(path.join(base, ".backfill")), mode(path.join(base, ".backfill", "dev"))]).toEqual([0o700, 0o700]);
    expect(leftIn(path.dirname(planFile)).sort()).toEqual(["plan.jsonl", "plan.jsonl.summary.txt"]);
    for (const file of leftIn(path.dirname(planFile))) expect([file, mode(path.join(path.dirname(planFile), file))]).toEqual([file, 0o600]);
  });
});

test("partition files are created 0600 under umask 000", async () => {
  const dir = tmp();
  const previous = process.umask(0);
  try {
    async function* lines() {
      yield JSON.stringify({ user_id: "github|1", email: "ada@example.com", email_verified: true, identities: [{ connection: "github", provider: "github", user_id: "1" }] });
    }
    await partitionUsers(lines(), dir, resolvePolicy({}), { buckets: 2 });
  } finally {
    process.umask(previous);
  }
  const files = fs.readdirSync(dir);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) expect([file, mode(path.join(dir, file))]).toEqual([file, 0o600]);
});

test("npm run bench, killed mid-measurement (SIGTERM), leaves no temporary file", async () => {
  const temp = tmp();
  const child = spawn(process.execPath, ["-r", REGISTER_TS, path.join(ROOT, "scripts", "bench.ts"), "backfill-apply"], { cwd: ROOT, env: cleanEnv({ TMPDIR: temp }), stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  // Its stacks, exports and plans live in one private directory under TMPDIR while it measures.
  const inUse = () => leftIn(temp).filter((f) => f.startsWith("linking-bench-")).flatMap((d) => fs.readdirSync(path.join(temp, d))).some((f) => f.startsWith("bench-apply-"));
  while (!inUse() && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  expect(inUse()).toBe(true);
  expect(mode(path.join(temp, leftIn(temp).find((f) => f.startsWith("linking-bench-"))!))).toBe(0o700);
  child.kill("SIGTERM");
  expect(await exited).toBe(143);
  expect(leftIn(temp)).toEqual([]);
  // Its children (the backfill processes it measures) went with it: nothing writes there again.
  await new Promise((r) => setTimeout(r, 3_000));
  expect(fs.readdirSync(temp).filter((f) => f.startsWith("linking-bench-"))).toEqual([]);
});
