// `npm run synth` as a user runs it: offline, quiet, and a configuration error said once.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { synthConfig } from "../support/synth";
import { DEV, PROD } from "./fixtures";

const ROOT = path.join(__dirname, "..", "..");

/** Runs scripts/synth.js with `configs` in place of stacks/environments.ts, into a fresh outdir. */
function runSynth(configs: unknown[], env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-cmd-"));
  const preload = path.join(dir, "environments.js");
  const target = path.join(ROOT, "stacks", "environments.ts");
  fs.writeFileSync(preload, `require.cache[${JSON.stringify(target)}] = { id: ${JSON.stringify(target)}, filename: ${JSON.stringify(target)}, loaded: true, exports: { environments: ${JSON.stringify(configs)} } };\n`);
  const outdir = path.join(dir, "out");
  const result = spawnSync(process.execPath, ["-r", preload, path.join(ROOT, "scripts", "synth.js")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LINKING_OUTDIR: outdir, TF_CLI_CONFIG_FILE: path.join(dir, "no-such.tfrc"), ...env },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, outdir };
}

describe("npm run synth", () => {
  test("writes every environment's stack, says so in one line, prints nothing else", () => {
    const result = runSynth([DEV, PROD]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^synthesized auth0-dev, auth0-prod into .*stacks\/ in \d+\.\d s\n$/);
    expect(fs.readdirSync(path.join(result.outdir, "stacks")).sort()).toEqual(["auth0-dev", "auth0-prod"]);
    // The file carries cdktf's "//" metadata, which Testing.synth leaves out.
    const written = JSON.parse(fs.readFileSync(path.join(result.outdir, "stacks", "auth0-prod", "cdk.tf.json"), "utf8"), (key, value) => (key === "//" ? undefined : value));
    const inMemory = synthConfig(PROD).tf;
    expect(written.resource).toEqual(inMemory.resource);
    expect(written.ephemeral).toEqual(inMemory.ephemeral);
    expect(written.terraform).toEqual(inMemory.terraform);
  });

  test("the cdktf CLI runs the same app (cdktf.json) and writes the same stacks", () => {
    const ours = runSynth([DEV]);
    const dir = path.dirname(ours.outdir);
    const cli = spawnSync("npx", ["cdktf", "synth", "--output", path.join(dir, "cli")], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CHECKPOINT_DISABLE: "1", NODE_OPTIONS: `-r ${path.join(dir, "environments.js")}` },
      encoding: "utf8",
    });
    expect(cli.status).toBe(0);
    const read = (outdir: string) => fs.readFileSync(path.join(outdir, "stacks", "auth0-dev", "cdk.tf.json"), "utf8");
    expect(read(path.join(dir, "cli"))).toBe(read(ours.outdir));
  });

  test("LINKING_ENVIRONMENTS picks environments", () => {
    const result = runSynth([DEV, PROD], { LINKING_ENVIRONMENTS: "prod" });
    expect(result.code).toBe(0);
    expect(fs.readdirSync(path.join(result.outdir, "stacks"))).toEqual(["auth0-prod"]);
  });

  test("a configuration error: only `error:` lines naming environment and field, exit 1, nothing written", () => {
    const bad: unknown[] = [{ ...DEV, secretVersion: 0 }, { name: "qa", tenant: "", binding: "append" }];
    const result = runSynth(bad);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      [
        "error: stacks/environments.ts: environment \"dev\": secretVersion must be a positive whole number (1, 2, ...; raise it by one to rotate the Action's secret), got 0",
        'error: stacks/environments.ts: environment "qa": tenant must be a non-empty label for the tenant',
        'error: stacks/environments.ts: environment "qa": binding must be "owned" or "additive", got "append"',
        "",
      ].join("\n"),
    );
    expect(fs.existsSync(path.join(result.outdir, "stacks"))).toBe(false);
  });

  test("an unknown LINKING_ENVIRONMENTS entry is one error line", () => {
    const result = runSynth([DEV], { LINKING_ENVIRONMENTS: "prod" });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: stacks/environments.ts: unknown environment "prod" selected in LINKING_ENVIRONMENTS (known: dev)\n');
  });
});
