// Every operator command explains itself: `--help` prints usage, each option and an example, exit
// 0, and does nothing else (no configuration read, no synth, no benchmark); an unknown option is
// one `error:` line pointing at `--help`. The commands run as processes, as `npm run` starts them.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { helpText, parseCommandLine, UsageError, type CommandSpec } from "../../scripts/lib/command-line";
import { BACKFILL } from "../../scripts/backfill";
import { DEPLOY } from "../../scripts/deploy";
import { ENVIRONMENTS } from "../../scripts/environments";
import { PLAN } from "../../scripts/plan";
import { SMOKE } from "../../scripts/smoke";
import { UNLINK } from "../../scripts/unlink";
import { VERIFY } from "../../scripts/verify";
import { cleanEnv, REGISTER_TS, runWithEnvironments, type ScriptResult } from "../support/run-script";

const ROOT = path.resolve(__dirname, "..", "..");

/** Runs a command as `npm run` does (scripts/lib/register-typescript.js for .ts, node for synth.js). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  const file = command === "synth" ? path.join(ROOT, "scripts", "synth.js") : path.join(ROOT, "scripts", `${command}.ts`);
  const argv = command === "synth" ? [file, ...args] : ["-r", REGISTER_TS, file, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

// A stacks/environments.ts that does not even compile: a command that reads it before answering
// --help would fail, so exit 0 proves help read nothing.
const brokenDir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-help-"));
const broken = path.join(brokenDir, "environments.ts");
fs.writeFileSync(broken, "export const environments = [\n  { name: 'dev' tenant: 'd' }\n];\n");

const TENANT_COMMANDS: Array<[string, CommandSpec]> = [["plan", PLAN], ["deploy", DEPLOY], ["verify", VERIFY], ["backfill", BACKFILL], ["smoke", SMOKE], ["environments", ENVIRONMENTS], ["unlink", UNLINK]];

describe("--help", () => {
  test.each(TENANT_COMMANDS)("%s --help: usage, every option, an example; exit 0 without reading the configuration", async (name, spec) => {
    const result = await runWithEnvironments({ file: broken }, name, ["--help"], cleanEnv());
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(helpText(spec));
    expect(result.stdout.startsWith(`usage: npm run ${name} -- `)).toBe(true);
    for (const option of spec.options) expect(result.stdout).toContain(`--${option.name}`);
    expect(result.stdout).toMatch(/\nExamples?:\n {2}npm run /);
  });

  test("simulate --help lists the scenarios; exit 0, nothing simulated", async () => {
    const result = await run("simulate", ["--help"], cleanEnv());
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith("usage: npm run simulate -- <scenario>\n")).toBe(true);
    expect(result.stdout).toMatch(/\n {2}github-then-password +GitHub account exists/);
    expect(result.stdout).not.toContain("login as");
  });

  test("synth --help writes nothing", async () => {
    const outdir = path.join(brokenDir, "synth-out");
    const result = await run("synth", ["--help"], cleanEnv({ LINKING_OUTDIR: outdir }));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("usage: npm run synth -- [options]");
    expect(result.stdout).toContain("--app");
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test("bench --help lists the measurements and does not start one (no temporary directory made)", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "linking-bench-help-"));
    const result = await run("bench", ["--help"], cleanEnv({ TMPDIR: tmp }));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("usage: npm run bench -- [<measurement>...]");
    expect(result.stdout).toMatch(/\n {2}synth +npm run synth for three environments/);
    expect(fs.readdirSync(tmp).filter((f) => !f.startsWith("v8-compile-cache"))).toEqual([]);
  });
});

describe("an unknown option: one error: line that says to use --help, exit 2", () => {
  test("plan, deploy, verify, backfill, smoke, environments, simulate, synth, bench", async () => {
    const names = ["plan", "deploy", "verify", "backfill", "smoke", "environments", "simulate", "synth", "bench"];
    const results = await Promise.all(names.map((name) => run(name, ["--frobnicate"], cleanEnv())));
    results.forEach((result, i) => {
      const name = names[i];
      expect([name, result.stderr]).toEqual([name, expect.stringMatching(new RegExp(`^error: npm run ${name}: unknown option --frobnicate.*\\. Run "npm run ${name} -- --help" for usage\\.\\n$`))]);
      expect([name, result.code, result.stdout]).toEqual([name, 2, ""]);
    });
  });

  test("bench -- <unknown measurement> starts nothing", async () => {
    const result = await run("bench", ["synthh"], cleanEnv());
    expect(result.stderr).toMatch(/^error: unknown measurement "synthh" \(measurements: bindings, bundle, synth,.*\)\. Run "npm run bench -- --help" for usage\.\n$/);
    expect(result.code).toBe(2);
  });
});

describe("the command-line reader", () => {
  const spec: CommandSpec = { name: "x", usage: ["<a>"], about: "X.", options: [{ name: "flag", about: "F." }, { name: "out", value: "<file>", about: "O." }], examples: ["npm run x -- a"] };
  const thrown = (args: string[]) => {
    try {
      parseCommandLine(args, spec);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error("expected a UsageError");
  };

  test("values inline or after, flags, positionals; --help anywhere wins", () => {
    const parsed = parseCommandLine(["a", "--out=f", "--flag", "b"], spec)!;
    expect([parsed.positional, [...parsed.flags], [...parsed.values]]).toEqual([["a", "b"], ["flag"], [["out", "f"]]]);
    expect(parseCommandLine(["a", "--out", "g"], spec)!.values.get("out")).toBe("g");
    let printed = "";
    expect(parseCommandLine(["a", "--bogus", "--help"], spec, (t) => (printed = t))).toBeUndefined();
    expect(printed).toBe(helpText(spec));
  });

  test("mistakes name the option and point at --help", () => {
    expect(thrown(["--out"])).toBe('npm run x: --out needs a value <file>. Run "npm run x -- --help" for usage.');
    expect(thrown(["--flag=1"])).toBe('npm run x: --flag takes no value. Run "npm run x -- --help" for usage.');
    expect(thrown(["-v"])).toBe('npm run x: unknown option -v (options: --flag, --out). Run "npm run x -- --help" for usage.');
  });
});
