// The same app on both engines: `npm run synth` with cdktf (the default) and with
// LINKING_ENGINE=cdktn writes the same Terraform JSON for every environment, except the framework's
// own "//" metadata, for the team's stacks/environments.ts and for every configuration the suite
// swaps in (test/stacks/fixtures.ts). Each synth runs in its own process, as an operator runs it:
// the two libraries share a global token map and must never meet in one process.
// CDK Terrain 0.24 supports Node >= 22.19 only; below that the comparison is skipped, saying so
// (CI runs it on Node 22: .github/workflows/engines.yml).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import table from "../../stacks/engines.json";
import type { EnvironmentConfig } from "../../stacks/config";
import { SWAPPED_CONFIGURATIONS, TEAM_LIKE } from "./fixtures";

const ROOT = path.join(__dirname, "..", "..");
const CDKTN_NODE = table.engines.cdktn.node;
const nodeAtLeast = (minimum: string) => {
  const [a, b] = [process.versions.node, minimum].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};
const supported = nodeAtLeast(CDKTN_NODE);
const SKIPPED = `skipped: CDK Terrain (cdktn 0.24) needs Node >= ${CDKTN_NODE}, this is Node ${process.versions.node}`;
if (!supported) console.warn(`the cdktf/cdktn comparison is ${SKIPPED}`);
// CI (.github/workflows/engines.yml) sets ENGINE_TESTS_REQUIRED: there a skip would be a silent pass.
if (!supported && process.env.ENGINE_TESTS_REQUIRED) throw new Error(`ENGINE_TESTS_REQUIRED is set, but the comparison would be ${SKIPPED}`);
const describeOnCdktn = supported ? describe : describe.skip;
/** The title, with the reason where the tests are skipped. */
const titled = (title: string) => (supported ? title : `${title} [${SKIPPED}]`);
const version = (library: string) => (JSON.parse(fs.readFileSync(require.resolve(`${library}/package.json`), "utf8")) as { version: string }).version;

type Synth = { status: number | null; stdout: string; stderr: string; outdir: string };

/** `npm run synth` with `engine`, `configs` standing in for stacks/environments.ts (none: the team's own). */
function synth(engine: string, dir: string, configs?: EnvironmentConfig[]): Synth {
  const args = [path.join(ROOT, "scripts", "synth.js")];
  if (configs) {
    const target = path.join(ROOT, "stacks", "environments.ts");
    const preload = path.join(dir, "environments.js");
    fs.writeFileSync(preload, `require.cache[${JSON.stringify(target)}] = { id: ${JSON.stringify(target)}, filename: ${JSON.stringify(target)}, loaded: true, exports: { environments: ${JSON.stringify(configs)} } };\n`);
    args.unshift("-r", preload);
  }
  const outdir = path.join(dir, engine);
  const result = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: os.tmpdir(), LINKING_ENGINE: engine, LINKING_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outdir };
}

const stacksIn = (outdir: string) => fs.readdirSync(path.join(outdir, "stacks")).sort();
const stackJson = (outdir: string, stack: string) => JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as Record<string, any>;
/** The JSON without the framework's "//" metadata (at any depth): what Terraform reads. */
const withoutMetadata = (json: unknown) => JSON.parse(JSON.stringify(json), (key, value) => (key === "//" ? undefined : value));

const CASES: Array<[string, EnvironmentConfig[] | undefined]> = [
  ["the example's stacks/environments.ts", undefined],
  ["the suite's dev, staging and prod", TEAM_LIKE],
  ...SWAPPED_CONFIGURATIONS.map(([label, configs]) => [`swapped in: ${label}`, configs] as [string, EnvironmentConfig[]]),
];

describeOnCdktn.each(CASES)(titled("cdktf and CDK Terrain synthesize the same stacks: %s"), (_label, configs) => {
  let cdktf: Synth;
  let cdktn: Synth;
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-compare-"));
    cdktf = synth("cdktf", dir, configs);
    cdktn = synth("cdktn", dir, configs);
  });

  test("both synthesize, each saying so in one line (the other engine named)", () => {
    expect([cdktf.status, cdktf.stderr]).toEqual([0, ""]);
    expect([cdktn.status, cdktn.stderr]).toEqual([0, ""]);
    expect(cdktf.stdout).toMatch(/^synthesized [\w, -]+ into .*stacks\/ in \d+\.\d s\n$/);
    expect(cdktn.stdout).toMatch(new RegExp(`^synthesized [\\w, -]+ with cdktn ${version("cdktn").replace(/\./g, "\\.")} into .*stacks/ in \\d+\\.\\d s\\n$`));
  });

  test("the same stacks, one per configured environment", () => {
    const expected = (configs ?? []).map((c) => `auth0-${c.name}`).sort();
    if (configs) expect(stacksIn(cdktf.outdir)).toEqual(expected);
    expect(stacksIn(cdktn.outdir)).toEqual(stacksIn(cdktf.outdir));
    expect(stacksIn(cdktf.outdir).length).toBeGreaterThan(0);
  });

  test("each stack's JSON is identical apart from the framework's \"//\" metadata, which says which engine wrote it", () => {
    for (const stack of stacksIn(cdktf.outdir)) {
      const a = stackJson(cdktf.outdir, stack);
      const b = stackJson(cdktn.outdir, stack);
      expect({ stack, json: withoutMetadata(b) }).toEqual({ stack, json: withoutMetadata(a) });
      // Not the same engine twice: the metadata records each library's version.
      expect([stack, a["//"].metadata.version, b["//"].metadata.version]).toEqual([stack, version("cdktf"), version("cdktn")]);
      expect(a["//"].metadata.stackName).toBe(stack);
      expect(b["//"].metadata.stackName).toBe(stack);
    }
  });
});

describeOnCdktn(titled("the cdktn CLI reads the same cdktf.json"), () => {
  test("`cdktn synth` runs the app (LINKING_ENGINE=cdktn) and writes what `npm run synth` writes", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-cli-"));
    const ours = synth("cdktn", dir, TEAM_LIKE);
    expect(ours.status).toBe(0);
    const out = path.join(dir, "cli");
    // The CLI starts `node scripts/synth.js --app` (cdktf.json "app"): this Node first on PATH.
    const cli = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "cdktn-cli", "bin", "cdktn"), "synth", "--output", out], {
      cwd: ROOT,
      env: {
        PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
        HOME: process.env.HOME,
        TMPDIR: os.tmpdir(),
        CHECKPOINT_DISABLE: "1",
        LINKING_ENGINE: "cdktn",
        NODE_OPTIONS: `-r ${path.join(dir, "environments.js")}`,
      },
      encoding: "utf8",
    });
    expect([cli.status, cli.stderr.includes("rror")]).toEqual([0, false]);
    for (const stack of stacksIn(ours.outdir)) {
      expect([stack, fs.readFileSync(path.join(out, "stacks", stack, "cdk.tf.json"), "utf8")]).toEqual([stack, fs.readFileSync(path.join(ours.outdir, "stacks", stack, "cdk.tf.json"), "utf8")]);
    }
  });
});
