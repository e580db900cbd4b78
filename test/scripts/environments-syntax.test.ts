// A stacks/environments.ts that does not parse is one `error:` line, the same from every command:
// the file, the line and column, and what the parser expected (relative to the project for the
// real file), exit 1, nothing written.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadFailure, syntaxProblem } from "../../scripts/lib/environments-file";

const ROOT = path.resolve(__dirname, "..", "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-syntax-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const MISSING_COMMA = 'export const environments = [\n  { name: "dev", tenant: "d" }\n  { name: "prod", tenant: "p" },\n];\n';

test("the first syntax error: file, line, column, what was expected; nothing for a file that parses", () => {
  const broken = write("broken.ts", MISSING_COMMA);
  expect(syntaxProblem(broken)).toBe(`${broken}:3:3: ',' expected.`);
  expect(syntaxProblem(write("fine.ts", 'export const environments = [{ name: "dev", tenant: "d" }];\n'))).toBeUndefined();
  expect(syntaxProblem(write("two.ts", "export const a = [\n  1\n  2\n  3\n];\n"))).toBe(`${path.join(dir, "two.ts")}:3:3: ',' expected. (and 1 more after it)`);
  // The project's own file is named relative to the project, as the operator knows it.
  expect(loadFailure(new Error("x"), path.join(ROOT, "stacks", "environments.ts"))).not.toContain(ROOT);
});

test("npm run synth with a missing comma: one line naming file, line, column and the expected token; nothing synthesized", () => {
  const broken = write("environments.ts", MISSING_COMMA);
  const target = path.join(ROOT, "stacks", "environments.ts");
  // In place of stacks/environments.ts for this process only (the team's file is never touched).
  const preload = write(
    "redirect.js",
    `const Module = require("module"); const resolve = Module._resolveFilename;\n` +
      `Module._resolveFilename = function (request, ...rest) { const r = resolve.call(this, request, ...rest); return r === ${JSON.stringify(target)} ? ${JSON.stringify(broken)} : r; };\n`,
  );
  const outdir = path.join(dir, "out");
  const result = spawnSync(process.execPath, ["-r", preload, path.join(ROOT, "scripts", "synth.js")], { cwd: ROOT, encoding: "utf8", env: { ...process.env, LINKING_OUTDIR: outdir, NODE_OPTIONS: "" } });
  expect(result.stderr).toBe(`error: ${broken}:3:3: ',' expected. Fix the file and run again.\n`);
  expect(result.status).toBe(1);
  expect(fs.existsSync(outdir)).toBe(false);
});
