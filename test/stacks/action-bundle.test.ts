import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BundleError, PROJECT_ROOT, buildActionBundle } from "../../stacks/action-bundle";

describe("the Action bundle", () => {
  const bundle = buildActionBundle();

  test("is deterministic: the same sources give the same bytes", () => {
    const again = buildActionBundle({ typeCheck: false });
    expect(again.code).toBe(bundle.code);
    expect(again.sha256).toBe(bundle.sha256);
  });

  test("does not depend on the working directory", () => {
    const cwd = process.cwd();
    try {
      process.chdir(os.tmpdir());
      expect(buildActionBundle({ typeCheck: false }).sha256).toBe(bundle.sha256);
    } finally {
      process.chdir(cwd);
    }
  });

  test("is one CommonJS file exporting both handlers, needing only Node's own modules", () => {
    const required: string[] = [];
    const module = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "require", bundle.code)(module, module.exports, (name: string) => {
      required.push(name);
      return require(name);
    });
    expect(typeof module.exports.onExecutePostLogin).toBe("function");
    expect(typeof module.exports.onContinuePostLogin).toBe("function");
    // No SDK: the Management API is called with fetch, so a cold container loads nothing else.
    expect([...new Set(required)]).toEqual(["crypto"]);
    expect(bundle.code).not.toMatch(/require\("auth0/);
  });

  test("declares no npm dependencies (Auth0 would install them)", () => {
    expect(bundle.dependencies).toEqual([]);
  });

  test("stays far under Auth0's 100 kB code limit and carries a readable banner", () => {
    expect(bundle.bytes).toBeLessThan(100 * 1024);
    expect(bundle.code.split("\n")[0]).toMatch(/^\/\* auth0-account-linking \d+\.\d+\.\d+, built from action-src\/ by esbuild: edit there \*\//);
    expect(bundle.code.split("\n").length).toBeGreaterThan(100); // not minified
  });

  describe("build errors fail synth with the compiler's message", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(PROJECT_ROOT, "action-src", ".broken-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("an unresolved import", () => {
      const entry = path.join(dir, "index.ts");
      fs.writeFileSync(entry, 'import { nothing } from "./missing";\nexport const onExecutePostLogin = async () => nothing;\n');
      expect(() => buildActionBundle({ entry, typeCheck: false })).toThrow(BundleError);
      expect(() => buildActionBundle({ entry, typeCheck: false })).toThrow(/Could not resolve "\.\/missing"/);
    });

    test("a type error", () => {
      const entry = path.join(dir, "index.ts");
      fs.writeFileSync(entry, 'export const onExecutePostLogin = async (): Promise<number> => "one";\n');
      expect(() => buildActionBundle({ entry })).toThrow(/does not type-check:[\s\S]*TS2322/);
    });

    test("a package that package-lock.json does not know", () => {
      const entry = path.join(dir, "index.ts");
      fs.writeFileSync(entry, 'const lib = require("left-pad-unknown-package");\nexport const onExecutePostLogin = async () => lib;\n');
      expect(() => buildActionBundle({ entry, typeCheck: false })).toThrow('the Action imports "left-pad-unknown-package", which package-lock.json does not resolve');
    });
  });
});
