// Builds the Action's deployable code from action-src/ at synth: type-checked, then
// bundled by esbuild into one CommonJS file for Node 22. Runtime packages stay external
// and become the Action's npm dependencies at the exact versions in package-lock.json,
// so the version tested is the version deployed. Same sources, same bytes.
import { createHash } from "crypto";
import { buildSync, formatMessagesSync, type Message } from "esbuild";
import { builtinModules } from "module";
import * as fs from "fs";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
export const ACTION_ENTRY = path.join(PROJECT_ROOT, "action-src", "index.ts");
/** The confirmation Action (bound after the linking Action: an Action cannot both render a Form and redirect). */
export const CONFIRMATION_ENTRY = path.join(PROJECT_ROOT, "action-src", "confirmation-index.ts");

export interface ActionDependency {
  name: string;
  version: string;
}

export interface ActionBundle {
  code: string;
  sha256: string;
  bytes: number;
  dependencies: ActionDependency[];
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

/** Auth0's guidance for an Action's own code (npm dependencies not counted). */
export const CODE_LIMIT_BYTES = 100 * 1024;
/** Auth0 allows at most 10 npm dependencies per Action. */
const DEPENDENCY_LIMIT = 10;

function projectVersion(root: string): string {
  return JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version;
}

/** Where a passed type-check is remembered (node_modules/.cache is git-ignored with node_modules). */
const TYPECHECK_CACHE = path.join(PROJECT_ROOT, "node_modules", ".cache", "auth0-account-linking", "typecheck");

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sourcesUnder(full);
    return /\.(ts|json)$/.test(e.name) ? [full] : [];
  });
}

/**
 * The key of one type-check: the compiler's version, the options, and every source the Action
 * can import (its directory, the lockfile that fixes the typings). A pass is remembered under
 * it, so repeated synths of unchanged sources skip the compiler; any edit changes the key.
 */
function typeCheckKey(entries: string[], options: object, version: string): string {
  const hash = createHash("sha256").update(JSON.stringify({ entries, options, version }));
  const dirs = [...new Set(entries.map((entry) => path.dirname(entry)))];
  for (const file of [...dirs.flatMap(sourcesUnder).sort(), path.join(PROJECT_ROOT, "package-lock.json")]) {
    hash.update(file).update("\0").update(fs.readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

/** Type errors fail the build like esbuild errors do; esbuild alone only strips types. One program for all entries. */
function typeCheck(entries: string[]): void {
  // Loaded lazily: TypeScript is a build-time tool, heavy to load, needed only here.
  const ts = require("typescript") as typeof import("typescript");
  const options = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    skipLibCheck: true,
    esModuleInterop: true,
  };
  const key = typeCheckKey(entries, options, ts.version);
  const passed = path.join(TYPECHECK_CACHE, key);
  if (fs.existsSync(passed)) return;
  const program = ts.createProgram(entries, options);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) {
    const text = ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => PROJECT_ROOT,
      getNewLine: () => "\n",
    });
    throw new BundleError(`the Action does not type-check:\n${text}`);
  }
  try {
    fs.mkdirSync(TYPECHECK_CACHE, { recursive: true });
    fs.writeFileSync(passed, "");
  } catch {
    // A read-only checkout only loses the cache.
  }
}

function lockedVersion(root: string, name: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  if (typeof version !== "string") {
    throw new BundleError(`the Action imports "${name}", which package-lock.json does not resolve: add it to package.json dependencies`);
  }
  return version;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function formatted(kind: "error" | "warning", messages: Message[]): string {
  return formatMessagesSync(messages, { kind, color: false }).join("");
}

export interface BundleOptions {
  entry?: string;
  root?: string;
  typeCheck?: boolean;
}

/** Bundles the Action. Throws BundleError with the compiler's own message on any build error. */
export function buildActionBundle(options: BundleOptions = {}): ActionBundle {
  const root = options.root ?? PROJECT_ROOT;
  const entry = options.entry ?? ACTION_ENTRY;
  if (options.typeCheck ?? true) typeCheck([entry]);

  let result;
  try {
    result = buildSync({
      entryPoints: [entry],
      absWorkingDir: root, // paths in the output are relative to the project, whoever runs synth
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      packages: "external",
      write: false,
      metafile: true,
      minify: false, // readable in the Auth0 dashboard; the size is far under the limit
      legalComments: "none",
      charset: "utf8",
      logLevel: "silent",
      // Parameter properties without duplicate field declarations: smaller, same behaviour.
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
      banner: {
        js: `/* auth0-account-linking ${projectVersion(root)}, built from action-src/ by esbuild: edit there */`,
      },
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    throw new BundleError(errors?.length ? formatted("error", errors) : String(err));
  }
  if (result.warnings.length > 0) throw new BundleError(`the Action bundle has warnings:\n${formatted("warning", result.warnings)}`);

  const code = result.outputFiles[0].text;
  const bytes = Buffer.byteLength(code);
  if (bytes > CODE_LIMIT_BYTES) throw new BundleError(`the Action bundle is ${bytes} bytes, over Auth0's ${CODE_LIMIT_BYTES}-byte limit`);

  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const external = new Set<string>();
  for (const input of Object.values(result.metafile!.inputs)) {
    for (const imported of input.imports) {
      if (imported.external && !builtins.has(imported.path)) external.add(packageName(imported.path));
    }
  }
  const dependencies = [...external].sort().map((name) => ({ name, version: lockedVersion(root, name) }));
  if (dependencies.length > DEPENDENCY_LIMIT) {
    throw new BundleError(`the Action needs ${dependencies.length} npm packages; Auth0 allows ${DEPENDENCY_LIMIT}`);
  }
  return { code, sha256: createHash("sha256").update(code).digest("hex"), bytes, dependencies };
}

const cached = new Map<string, ActionBundle>();

/** One of the project's Actions, built once per process: every environment deploys the same bytes. */
export function actionBundle(entry = ACTION_ENTRY): ActionBundle {
  let bundle = cached.get(entry);
  if (!bundle) {
    // Both Actions are type-checked together, once (and remembered while the sources stay the same).
    typeCheck([ACTION_ENTRY, CONFIRMATION_ENTRY]);
    bundle = buildActionBundle({ entry, typeCheck: false });
    cached.set(entry, bundle);
  }
  return bundle;
}

export interface ActionBundles {
  linking: ActionBundle;
  confirmation: ActionBundle;
}

/** Both Actions' bundles. */
export function actionBundles(): ActionBundles {
  return { linking: actionBundle(ACTION_ENTRY), confirmation: actionBundle(CONFIRMATION_ENTRY) };
}
