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

  test("is one CommonJS file exporting onExecutePostLogin, with auth0 left external", () => {
    const required: string[] = [];
    const module = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "require", bundle.code)(module, module.exports, (name: string) => {
      required.push(name);
      return require(name);
    });
    expect(typeof module.exports.onExecutePostLogin).toBe("function");
    expect(required).toEqual(["crypto"]); // auth0 is required lazily, only on the Management API path
    expect(bundle.code).toMatch(/require\("auth0"\)/);
    expect(bundle.code).not.toMatch(/class ManagementClient/);
  });

  test("declares the external packages as dependencies at the locked versions", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8"));
    expect(bundle.dependencies).toEqual([{ name: "auth0", version: lock.packages["node_modules/auth0"].version }]);
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
