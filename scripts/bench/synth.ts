// Where `npm run synth` spends its time, before and after it stopped going through the cdktf CLI
// and ts-node: each figure is a fresh process on this machine, three environments (the fixture
// set below, so the numbers do not depend on what a team configured).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../stacks/action-bundle";

export interface SynthRow {
  what: string;
  value: string;
  target: string;
}

const TYPECHECK_CACHE = path.join(PROJECT_ROOT, "node_modules", ".cache", "auth0-account-linking", "typecheck");
const THREE = [
  { name: "dev", tenant: "dev" },
  { name: "staging", tenant: "staging", policy: { reportOnly: true } },
  { name: "prod", tenant: "prod", backend: { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" } },
];

function seconds(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** A preload that puts THREE in place of stacks/environments.ts in the child process. */
function preload(dir: string): string {
  const file = path.join(dir, "environments.js");
  const target = path.join(PROJECT_ROOT, "stacks", "environments.ts");
  fs.writeFileSync(file, `require.cache[${JSON.stringify(target)}] = { id: ${JSON.stringify(target)}, filename: ${JSON.stringify(target)}, loaded: true, exports: { environments: ${JSON.stringify(THREE)} } };\n`);
  return file;
}

export function synthBench(): SynthRow[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", NODE_OPTIONS: `-r ${preload(dir)}` };
  delete env.TF_CLI_CONFIG_FILE;
  const run = (file: string, args: string[], extra: NodeJS.ProcessEnv = {}) => () =>
    execFileSync(file, args, { cwd: PROJECT_ROOT, stdio: "ignore", env: { ...env, ...extra } });
  const coldCache = () => fs.rmSync(TYPECHECK_CACHE, { recursive: true, force: true });
  const out = (name: string) => path.join(dir, name);
  const rows: SynthRow[] = [];
  const row = (what: string, s: number, target = "") => rows.push({ what, value: `${s.toFixed(1)} s`, target });

  // Before: the cdktf CLI running main.ts under ts-node, the Action type-checked every time.
  coldCache();
  row("synth before: cdktf CLI + ts-node main.ts, 3 environments", seconds(run("npx", ["cdktf", "synth", "--app", "npx ts-node --transpile-only main.ts", "--output", out("before")])), "was ~10-15 s");
  row("  of which cdktf CLI start (npx cdktf --version)", seconds(run("npx", ["cdktf", "--version"])));
  row("  of which ts-node loading main.ts, stacks and .gen bindings (no synth)", seconds(run("npx", ["ts-node", "--transpile-only", "-e", "require('./stacks/tenant-stack')"])));
  coldCache();
  row("  of which the Action's type-check + esbuild (fresh process)", seconds(run(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", "require('./stacks/action-bundle').buildActionBundle()"])));
  row("  of which esbuild alone", seconds(run(process.execPath, ["-e", "require('esbuild').buildSync({entryPoints:['action-src/index.ts'],bundle:true,platform:'node',packages:'external',write:false})"])));

  // After: scripts/synth.js, in process, esbuild-stripped TypeScript, type-check remembered per source.
  coldCache();
  row("synth after: npm run synth, 3 environments, Action sources just changed (type-check runs)", seconds(run(process.execPath, ["scripts/synth.js"], { LINKING_OUTDIR: out("cold") })), "< 5 s");
  row("synth after: npm run synth, 3 environments, Action unchanged (type-check remembered)", seconds(run(process.execPath, ["scripts/synth.js"], { LINKING_OUTDIR: out("warm") })), "< 5 s");
  row("synth after: cdktf synth (CLI, same app), 3 environments", seconds(run("npx", ["cdktf", "synth", "--output", out("cli")])));
  fs.rmSync(dir, { recursive: true, force: true });
  return rows;
}

if (require.main === module) {
  for (const r of synthBench()) console.log(`${r.what}: ${r.value}${r.target ? ` (target ${r.target})` : ""}`);
}
