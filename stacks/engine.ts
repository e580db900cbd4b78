// The one place that knows which CDK engine builds the stacks: CDK for Terraform (cdktf 0.21, the
// default, archived upstream) or its community continuation CDK Terrain (cdktn 0.24), picked by
// LINKING_ENGINE when this module loads. Everything framework-specific comes from here: the core
// classes, Testing, and the Auth0 provider bindings that engine's own generator made from
// schema/auth0.json (scripts/gen-bindings.js). Nothing else imports `cdktf`, `cdktn` or `.gen*`.
// Switching the default is the one line "default" in stacks/engines.json (docs/engines.md).
// A LINKING_ENGINE that cannot be used here is found at load and thrown at the first use (`new
// App()`), so commands that import stacks/ only for constants are not stopped by it.
//
// One engine per process, all of it from the same package: both libraries keep their token map on
// the same global (`__cdktfTokenMap`) and recognise Apps and Stacks by the same
// Symbol.for("cdktf/...") markers, so a resource of one engine inside an App of the other would not
// fail loudly; it would resolve tokens through whichever library loaded first. Both resolve the
// one top-level `constructs` (10.6, inside cdktn's peer range >=10.6.0 <10.8.0 and cdktf's ^10.4.2).
// Types are cdktf's (the two APIs are the same for everything used here); values are the engine's.
import * as fs from "fs";
import * as path from "path";
import type * as Core from "cdktf";
import table from "./engines.json";

export type EngineName = keyof typeof table.engines;
export const ENGINE_NAMES = Object.keys(table.engines) as EngineName[];
export const DEFAULT_ENGINE = table.default as EngineName;

export interface Engine {
  name: EngineName;
  /** "CDK for Terraform" or "CDK Terrain". */
  title: string;
  /** The npm package of the core library, e.g. "cdktn". */
  library: string;
  /** Its installed version (what the synthesized "//" metadata records). */
  version: string;
  /** Where its Auth0 bindings are, absolute. */
  bindings: string;
  /** The lowest Node version the engine supports. */
  node: string;
}

/** LINKING_ENGINE names no engine, or one this Node or this checkout cannot run. */
export class EngineError extends Error {}

const ROOT = path.join(__dirname, "..");

const atLeast = (version: string, minimum: string): boolean => {
  const a = version.split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

/** The engine LINKING_ENGINE asks for (the default when unset), checked before anything loads. */
export function selectEngine(env: NodeJS.ProcessEnv = process.env, nodeVersion: string = process.versions.node): Engine {
  const asked = env.LINKING_ENGINE?.trim() || DEFAULT_ENGINE;
  if (!(ENGINE_NAMES as string[]).includes(asked)) {
    throw new EngineError(`LINKING_ENGINE=${asked}: no such engine; use ${ENGINE_NAMES.join(" or ")} (unset means ${DEFAULT_ENGINE})`);
  }
  const name = asked as EngineName;
  const spec = table.engines[name];
  const version = (JSON.parse(fs.readFileSync(require.resolve(`${spec.library}/package.json`), "utf8")) as { version: string }).version;
  if (!atLeast(nodeVersion, spec.node)) {
    throw new EngineError(`LINKING_ENGINE=${name}: ${spec.title} (${spec.library} ${version}) needs Node >= ${spec.node}; this is Node ${nodeVersion}`);
  }
  const bindings = path.join(ROOT, spec.bindings);
  if (!fs.existsSync(path.join(bindings, "providers", "auth0", "index.ts"))) {
    throw new EngineError(`LINKING_ENGINE=${name}: the Auth0 bindings for ${spec.library} are missing (${spec.bindings}/): run "npm run gen"`);
  }
  return { name, title: spec.title, library: spec.library, version, bindings, node: spec.node };
}

let selected: Engine | undefined;
let problem: EngineError | undefined;
try {
  selected = selectEngine();
} catch (err) {
  if (!(err instanceof EngineError)) throw err;
  problem = err;
}

/**
 * Stands in for what this module exports when LINKING_ENGINE cannot be used. Importing stays
 * harmless (the commands that only read synthesized JSON, like deploy and verify, import constants
 * from stacks/ and never build a stack); the first real use (`new App()`, `Testing.app()`, a
 * resource) throws the EngineError, which `npm run synth` prints as one `error:` line.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function unusable(err: EngineError): any {
  const fail = (): never => {
    throw err;
  };
  // `class X extends <this>` reads only `prototype` when the class is defined.
  return new Proxy(function unusableEngine() {}, { get: (target, key) => (key === "prototype" ? target.prototype : fail()), construct: fail, apply: fail });
}

/** The engine LINKING_ENGINE picked. */
export const engine: Engine = selected ?? unusable(problem!);

const core: typeof Core = selected
  ? // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(selected.library) as typeof Core)
  : (new Proxy({}, { get: () => unusable(problem!) }) as typeof Core);

// cdktf.json is the CLI configuration both CLIs read. Its `targetVersions` (a CDK Terrain key: the
// Terraform versions the project supports; cdktn refuses write-only attributes unless they are all
// >= 1.11) reaches the App as context under the cdktn CLI. scripts/synth.js runs no CLI, so the App
// is primed with it here; context from a CLI (CDKTF_CONTEXT_JSON) still wins. cdktf never reads it.
const CLI_CONFIG = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8")) as { targetVersions?: Record<string, string> };

export const App = class App extends core.App {
  constructor(config: Core.AppConfig = {}) {
    super({ ...config, context: { ...(CLI_CONFIG.targetVersions ? { targetVersions: CLI_CONFIG.targetVersions } : {}), ...config.context } });
  }
};
export type App = Core.App;
export const TerraformStack = core.TerraformStack;
export type TerraformStack = Core.TerraformStack;
export const TerraformOutput = core.TerraformOutput;
export type TerraformOutput = Core.TerraformOutput;
export const LocalBackend = core.LocalBackend;
export const S3Backend = core.S3Backend;
export const CloudBackend = core.CloudBackend;
export const NamedCloudWorkspace = core.NamedCloudWorkspace;
export const Testing = core.Testing;

// The Auth0 provider bindings, one generated folder per Terraform type.
type Auth0 = typeof import("../.gen/providers/auth0");
const FOLDERS = {
  action: "action",
  client: "client",
  clientCredentials: "client-credentials",
  clientGrant: "client-grant",
  connection: "connection",
  connectionClients: "connection-clients",
  dataAuth0Tenant: "data-auth0-tenant",
  form: "form",
  provider: "provider",
  triggerAction: "trigger-action",
  triggerActions: "trigger-actions",
} satisfies Record<keyof Auth0, string>;

function binding<K extends keyof Auth0>(key: K): Auth0[K] {
  if (!selected) return new Proxy({}, { get: () => unusable(problem!) }) as Auth0[K];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(selected.bindings, "providers", "auth0", FOLDERS[key])) as Auth0[K];
}

export const Action = binding("action").Action;
export type Action = InstanceType<typeof Action>;
export const Client = binding("client").Client;
export type Client = InstanceType<typeof Client>;
export const ClientCredentials = binding("clientCredentials").ClientCredentials;
export type ClientCredentials = InstanceType<typeof ClientCredentials>;
export const ClientGrant = binding("clientGrant").ClientGrant;
export type ClientGrant = InstanceType<typeof ClientGrant>;
export const Connection = binding("connection").Connection;
export type Connection = InstanceType<typeof Connection>;
export const ConnectionClients = binding("connectionClients").ConnectionClients;
export type ConnectionClients = InstanceType<typeof ConnectionClients>;
export const DataAuth0Tenant = binding("dataAuth0Tenant").DataAuth0Tenant;
export type DataAuth0Tenant = InstanceType<typeof DataAuth0Tenant>;
export const Form = binding("form").Form;
export type Form = InstanceType<typeof Form>;
export const Auth0Provider = binding("provider").Auth0Provider;
export type Auth0Provider = InstanceType<typeof Auth0Provider>;
export const TriggerAction = binding("triggerAction").TriggerAction;
export type TriggerAction = InstanceType<typeof TriggerAction>;
export const TriggerActions = binding("triggerActions").TriggerActions;
export type TriggerActions = InstanceType<typeof TriggerActions>;

// Bindings generated for the other engine (a copied folder, a stale generation) would build
// resources of the wrong library into this App without an error: refuse them here.
if (selected && (!(Auth0Provider.prototype instanceof core.TerraformProvider) || !(Action.prototype instanceof core.TerraformResource))) {
  throw new EngineError(`LINKING_ENGINE=${selected.name}: the bindings in ${path.relative(ROOT, selected.bindings)}/ were not generated for ${selected.library}: run "npm run gen"`);
}
