// The engine seam (stacks/engine.ts): LINKING_ENGINE picks cdktf or CDK Terrain, checked before
// anything loads; nothing else in the app names a framework; each engine's bindings are its own.
// These run on every Node; the comparison of the two engines' syntheses is engine-compare.test.ts.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_ENGINE, ENGINE_NAMES, EngineError, selectEngine } from "../../stacks/engine";
import table from "../../stacks/engines.json";
import { MINIMUM_TERRAFORM } from "../../scripts/lib/terraform";
import { DEV } from "./fixtures";

const ROOT = path.join(__dirname, "..", "..");

describe("LINKING_ENGINE", () => {
  test("unset or empty is the default, cdktf", () => {
    expect(DEFAULT_ENGINE).toBe("cdktf");
    expect(selectEngine({}, "20.9.0")).toMatchObject({ name: "cdktf", library: "cdktf", version: "0.21.0", bindings: path.join(ROOT, ".gen") });
    expect(selectEngine({ LINKING_ENGINE: " " }, "20.9.0").name).toBe("cdktf");
  });

  test("cdktn is CDK Terrain 0.24, with its own bindings, from Node 22.19", () => {
    expect(ENGINE_NAMES).toEqual(["cdktf", "cdktn"]);
    expect(selectEngine({ LINKING_ENGINE: "cdktn" }, "22.19.0")).toMatchObject({ name: "cdktn", title: "CDK Terrain", library: "cdktn", version: "0.24.0", bindings: path.join(ROOT, ".gen-cdktn") });
    expect(() => selectEngine({ LINKING_ENGINE: "cdktn" }, "22.18.9")).toThrow(new EngineError("LINKING_ENGINE=cdktn: CDK Terrain (cdktn 0.24.0) needs Node >= 22.19.0; this is Node 22.18.9"));
    expect(() => selectEngine({ LINKING_ENGINE: "cdktn" }, "20.20.2")).toThrow("needs Node >= 22.19.0; this is Node 20.20.2");
  });

  test("anything else is refused, naming the engines there are", () => {
    expect(() => selectEngine({ LINKING_ENGINE: "cdktf-cli" }, "22.19.0")).toThrow(new EngineError("LINKING_ENGINE=cdktf-cli: no such engine; use cdktf or cdktn (unset means cdktf)"));
  });

  test("npm run synth says so in one error line, exit 1, and writes nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-synth-"));
    const target = path.join(ROOT, "stacks", "environments.ts");
    const preload = path.join(dir, "environments.js");
    fs.writeFileSync(preload, `require.cache[${JSON.stringify(target)}] = { id: ${JSON.stringify(target)}, filename: ${JSON.stringify(target)}, loaded: true, exports: { environments: ${JSON.stringify([DEV])} } };\n`);
    const run = (engine: string) =>
      spawnSync(process.execPath, ["-r", preload, path.join(ROOT, "scripts", "synth.js")], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LINKING_ENGINE: engine, LINKING_OUTDIR: path.join(dir, engine) },
        encoding: "utf8",
      });
    const unknown = run("terraform-cdk");
    expect([unknown.status, unknown.stdout, unknown.stderr]).toEqual([1, "", "error: LINKING_ENGINE=terraform-cdk: no such engine; use cdktf or cdktn (unset means cdktf)\n"]);
    expect(fs.existsSync(path.join(dir, "terraform-cdk"))).toBe(false);
  });
});

test("a LINKING_ENGINE that cannot be used stops the first use, not the commands that only import constants", () => {
  const saved = process.env.LINKING_ENGINE;
  process.env.LINKING_ENGINE = "nope";
  try {
    jest.isolateModules(() => {
      // deploy and verify import the credentials' logical id from here, and build no stack.
      const { CREDENTIALS_ID } = require("../../stacks/linking-application") as typeof import("../../stacks/linking-application");
      expect(CREDENTIALS_ID).toEqual(expect.any(String));
      const engine = require("../../stacks/engine") as typeof import("../../stacks/engine");
      // The EngineError of this isolated module registry, with the message.
      const refused = "LINKING_ENGINE=nope: no such engine; use cdktf or cdktn (unset means cdktf)";
      expect(() => new engine.App()).toThrow(engine.EngineError);
      expect(() => new engine.App()).toThrow(refused);
      expect(() => engine.Testing.app()).toThrow(refused);
      expect(() => engine.engine.version).toThrow(refused);
      const { synthErrorLines } = require("../../main") as typeof import("../../main");
      let thrown: unknown;
      try {
        new engine.App();
      } catch (err) {
        thrown = err;
      }
      expect(synthErrorLines(thrown)).toEqual(["error: LINKING_ENGINE=nope: no such engine; use cdktf or cdktn (unset means cdktf)"]);
    });
  } finally {
    if (saved === undefined) delete process.env.LINKING_ENGINE;
    else process.env.LINKING_ENGINE = saved;
  }
});

describe("the seam holds", () => {
  // Every import or require of a framework package or of generated bindings, outside stacks/engine.ts.
  const FRAMEWORK = /(?:from\s+|require\(\s*|import\(\s*)["'](cdktf|cdktn|@cdktf\/[^"']+|@cdktn\/[^"']+|cdktf\/[^"']+|cdktn\/[^"']+|[./]*\.gen[^"']*)["']/g;
  const sources = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(full);
      return /\.(ts|js)$/.test(e.name) ? [full] : [];
    });
  const appFiles = () => [path.join(ROOT, "main.ts"), ...["stacks", "action-src", "scripts"].flatMap((d) => sources(path.join(ROOT, d)))];
  const framework = (file: string) => [...fs.readFileSync(file, "utf8").matchAll(FRAMEWORK)].map((m) => m[1]);

  test("only stacks/engine.ts imports cdktf, cdktn or generated bindings (scripts/gen-bindings.js runs the generators)", () => {
    const found = appFiles()
      .filter((f) => !f.endsWith(path.join("stacks", "engine.ts")) && !f.endsWith(path.join("scripts", "gen-bindings.js")))
      .flatMap((f) => framework(f).map((m) => `${path.relative(ROOT, f)}: ${m}`));
    expect(found).toEqual([]);
  });

  test("the check sees an import that goes around the seam", () => {
    expect(framework(path.join(ROOT, "stacks", "engine.ts"))).toEqual(["cdktf", "../.gen/providers/auth0"]);
    expect([...'import { Action } from "../.gen/providers/auth0/action";\nconst { App } = require("cdktn");'.matchAll(FRAMEWORK)].map((m) => m[1])).toEqual(["../.gen/providers/auth0/action", "cdktn"]);
  });

  test("each engine's bindings were generated by its own generator and import its own library", () => {
    for (const [name, spec] of Object.entries(table.engines)) {
      const action = fs.readFileSync(path.join(ROOT, spec.bindings, "providers", "auth0", "action", "index.ts"), "utf8");
      expect([name, /^import \* as (\w+) from '([^']+)';$/m.exec(action)?.slice(1)]).toEqual([name, [spec.library, spec.library]]);
      expect([name, fs.existsSync(require.resolve(`${spec.generator}/package.json`))]).toEqual([name, true]);
    }
  });

  test("bindings of the other engine are refused when the seam loads", () => {
    // The default engine pointed at CDK Terrain's bindings, as a copied or stale folder would be.
    let error: unknown;
    jest.isolateModules(() => {
      jest.doMock("../../stacks/engines.json", () => ({ ...table, engines: { ...table.engines, cdktf: { ...table.engines.cdktf, bindings: ".gen-cdktn" } } }));
      try {
        require("../../stacks/engine");
      } catch (err) {
        error = err;
      }
    });
    jest.dontMock("../../stacks/engines.json");
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('LINKING_ENGINE=cdktf: the bindings in .gen-cdktn/ were not generated for cdktf: run "npm run gen"');
  });

  test("the default engine's stacks are built from its own classes", () => {
    const engine = require("../../stacks/engine") as typeof import("../../stacks/engine");
    const cdktf = require("cdktf") as typeof import("cdktf");
    expect(engine.TerraformStack).toBe(cdktf.TerraformStack);
    expect(engine.Testing).toBe(cdktf.Testing);
    expect(Object.getPrototypeOf(engine.App)).toBe(cdktf.App);
    expect(engine.Action.prototype).toBeInstanceOf(cdktf.TerraformResource);
  });
});

test("cdktf.json declares the Terraform the project needs as CDK Terrain's targetVersions", () => {
  // cdktn refuses write-only attributes (client_secret_wo, secrets_wo) for targets below 1.11.
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8"));
  expect(config.targetVersions).toEqual({ terraform: `>=${MINIMUM_TERRAFORM.join(".")}.0` });
});
