// Typed environment configuration, validated at synth. Every error names the
// environment and the field, and synth stops before anything is written.
import { resolvePolicy, serializePolicy, validatePolicy, type LinkingPolicy } from "../action-src/policy";
import { checkSmoke, resolveSmoke, withSmokeConnections, type ResolvedSmoke, type SmokeConfig } from "./smoke-config";

export type BackendConfig =
  /** State in a local file (default: terraform.<stack>.tfstate in the project root). */
  | { type: "local"; path?: string }
  /** S3 with Terraform's native lockfile (Terraform >= 1.10). */
  | { type: "s3"; bucket: string; region: string; key?: string; roleArn?: string }
  /** HCP Terraform / Terraform Enterprise, one workspace per environment. */
  | { type: "cloud"; organization: string; workspace: string; hostname?: string };

/**
 * `owned`: this stack owns the whole post-login flow (auth0_trigger_actions): the linking Action
 * first, then `extraPostLoginActions`; anything else bound to post-login is removed on apply.
 * `additive`: only append the linking Action (auth0_trigger_action), for tenants whose flow
 * something else owns. It always lands LAST in the flow.
 */
export type BindingMode = "owned" | "additive";

export interface ExtraPostLoginAction {
  /** The Action's id (a UUID, shown in the dashboard and by `auth0 actions list`). */
  id: string;
  /** The name shown in the flow editor. */
  displayName: string;
}

export interface EnvironmentConfig {
  /** Lower-case name; the stack is `auth0-<name>`. */
  name: string;
  /** Which tenant this is, for humans (e.g. "acme-dev (EU)"). Credentials never go here. */
  tenant: string;
  /**
   * This tenant serves real users (default false). A production environment is never planned on a
   * pull request (it is planned after merge, from reviewed code), must name its `domain`, and
   * cannot have `smoke` on. Named here, not inferred from the order of the list.
   */
  production?: boolean;
  /**
   * The tenant's Auth0 domain (e.g. "acme-dev.eu.auth0.com"). Optional; when set, plan, deploy,
   * verify and backfill refuse to run with an AUTH0_DOMAIN for another tenant.
   */
  domain?: string;
  backend?: BackendConfig;
  policy?: Partial<LinkingPolicy>;
  binding?: BindingMode;
  /** Post-login Actions that run after the linking Action (owned binding only), in order. */
  extraPostLoginActions?: ExtraPostLoginAction[];
  /**
   * Generation of the Action's client secret (a positive integer, default 1). Raising it makes the
   * next deploy write a new random secret to the application and the Action (docs/operations.md, "Rotating
   * the Action's secret"). Never lower it.
   */
  secretVersion?: number;
  /**
   * Provision confirmed linking (default true): the confirmation application, its Form and the
   * confirmation Action. false: pairs that need confirmation are only logged (confirm.required).
   */
  confirmation?: boolean;
  /** The tenant's custom domain, when logins use one (its /continue becomes a callback too). */
  customDomain?: string;
  /**
   * Opt-in: provision what `npm run smoke` needs (docs/rollout.md, "Smoke test on a real tenant"). Off
   * when left out; never needed for production.
   */
  smoke?: SmokeConfig;
}

export interface ResolvedEnvironment {
  name: string;
  stackName: string;
  tenant: string;
  production: boolean;
  domain: string | undefined;
  backend: BackendConfig;
  policy: LinkingPolicy;
  binding: BindingMode;
  extraPostLoginActions: ExtraPostLoginAction[];
  secretVersion: number;
  confirmation: boolean;
  customDomain: string | undefined;
  /** The smoke test setup, or undefined when it is off. Its connections are trusted in `policy`. */
  smoke: ResolvedSmoke | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const TFC_NAME = /^[A-Za-z0-9_-]{1,90}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const ENVIRONMENT_FIELDS = new Set(["name", "tenant", "production", "domain", "backend", "policy", "binding", "extraPostLoginActions", "secretVersion", "confirmation", "customDomain", "smoke"]);
/** The policy travels in the Action's code (100 kB with the bundle): keep it a small part of that. */
const POLICY_LIMIT = 16 * 1024;
/** Auth0 binds at most 20 Actions to one trigger. */
const TRIGGER_LIMIT = 20;

type Problems = string[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

function checkBackend(value: unknown, problem: (field: string, message: string) => void): void {
  if (value === undefined) return;
  if (!isRecord(value)) return problem("backend", 'must be an object with a "type" of local, s3 or cloud');
  const allowed: Record<string, string[]> = {
    local: ["type", "path"],
    s3: ["type", "bucket", "region", "key", "roleArn"],
    cloud: ["type", "organization", "workspace", "hostname"],
  };
  const fields = allowed[String(value.type)];
  if (!fields) return problem("backend.type", `must be "local", "s3" or "cloud", got ${JSON.stringify(value.type)}`);
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) problem(`backend.${key}`, `is not a setting of the ${String(value.type)} backend`);
  }
  const str = (key: string, pattern: RegExp, what: string, required: boolean) => {
    const v = value[key];
    if (v === undefined) {
      if (required) problem(`backend.${key}`, `is required for the ${String(value.type)} backend (${what})`);
    } else if (typeof v !== "string" || !pattern.test(v)) {
      problem(`backend.${key}`, `must be ${what}, got ${JSON.stringify(v)}`);
    }
  };
  if (value.type === "local") str("path", /^[^\0]+\.tfstate$/, "a file path ending in .tfstate", false);
  if (value.type === "s3") {
    str("bucket", S3_BUCKET, "an S3 bucket name", true);
    str("region", AWS_REGION, "an AWS region such as eu-west-1", true);
    str("key", /^[^/\s][^\s]*\.tfstate$/, "an object key ending in .tfstate", false);
    str("roleArn", /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "an IAM role ARN", false);
  }
  if (value.type === "cloud") {
    str("organization", TFC_NAME, "an HCP Terraform organization name", true);
    str("workspace", TFC_NAME, "an HCP Terraform workspace name", true);
    str("hostname", HOSTNAME, "a hostname such as app.terraform.io", false);
  }
}

function checkExtraActions(value: unknown, binding: unknown, problem: (field: string, message: string) => void): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) return problem("extraPostLoginActions", "must be a list of { id, displayName }");
  if (value.length > 0 && binding === "additive") {
    problem("extraPostLoginActions", 'needs binding "owned": the additive binding cannot order other Actions');
  }
  if (value.length + 1 > TRIGGER_LIMIT) {
    problem("extraPostLoginActions", `has ${value.length} entries; Auth0 binds at most ${TRIGGER_LIMIT} Actions to post-login, the linking Action included`);
  }
  const seen = new Set<string>();
  value.forEach((entry, i) => {
    const at = `extraPostLoginActions[${i}]`;
    if (!isRecord(entry)) return problem(at, "must be { id, displayName }");
    for (const key of Object.keys(entry)) if (key !== "id" && key !== "displayName") problem(`${at}.${key}`, "is not a field (id, displayName)");
    if (typeof entry.id !== "string" || !UUID.test(entry.id)) {
      problem(`${at}.id`, `must be an Action id (a lower-case UUID), got ${JSON.stringify(entry.id)}`);
    } else if (seen.has(entry.id)) {
      problem(`${at}.id`, `"${entry.id}" is listed twice`);
    } else {
      seen.add(entry.id);
    }
    if (!nonEmptyString(entry.displayName)) problem(`${at}.displayName`, "must be a non-empty string");
  });
}

function checkEnvironment(config: unknown, index: number, problems: Problems): void {
  const label = isRecord(config) && typeof config.name === "string" ? `environment "${config.name}"` : `environment #${index + 1}`;
  const problem = (field: string, message: string): void => {
    problems.push(`${label}: ${field} ${message}`);
  };
  if (!isRecord(config)) return problem("(entry)", "must be an object");
  for (const key of Object.keys(config)) {
    if (!ENVIRONMENT_FIELDS.has(key)) problem(key, `is not an environment field (known: ${[...ENVIRONMENT_FIELDS].join(", ")})`);
  }
  if (typeof config.name !== "string" || !NAME.test(config.name)) {
    problem("name", `must be lower-case letters, digits and dashes, starting with a letter (at most 31), got ${JSON.stringify(config.name)}`);
  }
  if (!nonEmptyString(config.tenant)) problem("tenant", "must be a non-empty label for the tenant");
  if (config.domain !== undefined && (typeof config.domain !== "string" || !HOSTNAME.test(config.domain))) {
    problem("domain", `must be the tenant's domain such as acme-dev.eu.auth0.com (no https://), got ${JSON.stringify(config.domain)}`);
  }
  if (config.production !== undefined && typeof config.production !== "boolean") problem("production", `must be true or false, got ${JSON.stringify(config.production)}`);
  if (config.production === true) {
    // Production's commands must refuse another tenant's credentials, and no test users there.
    if (config.domain === undefined) problem("domain", "is required for a production environment (so plan, deploy, verify and backfill refuse another tenant's credentials)");
    if (config.smoke !== undefined) problem("smoke", "is not allowed on a production environment: the smoke test creates and deletes users (docs/rollout.md)");
  }
  checkBackend(config.backend, problem);
  if (config.binding !== undefined && config.binding !== "owned" && config.binding !== "additive") {
    problem("binding", `must be "owned" or "additive", got ${JSON.stringify(config.binding)}`);
  }
  checkExtraActions(config.extraPostLoginActions, config.binding, problem);
  if (config.secretVersion !== undefined && !(Number.isSafeInteger(config.secretVersion) && (config.secretVersion as number) >= 1)) {
    problem("secretVersion", `must be a positive whole number (1, 2, ...; raise it by one to rotate the Action's secret), got ${JSON.stringify(config.secretVersion)}`);
  }
  if (config.confirmation !== undefined && typeof config.confirmation !== "boolean") problem("confirmation", "must be true or false");
  if (config.customDomain !== undefined && (typeof config.customDomain !== "string" || !HOSTNAME.test(config.customDomain))) {
    problem("customDomain", `must be a host name such as login.example.com (no https://), got ${JSON.stringify(config.customDomain)}`);
  }
  const policyProblems = validatePolicy(config.policy);
  for (const p of policyProblems) problem(p.field, p.message);
  const before = problems.length;
  checkSmoke(config.smoke, config.policy, problem);
  const smoke = problems.length === before ? resolveSmoke(config.smoke as SmokeConfig | undefined) : undefined;
  if (policyProblems.length === 0 && serializePolicy(resolvePolicy(withSmokeConnections(config.policy as Partial<LinkingPolicy> | undefined, smoke))).length > POLICY_LIMIT) {
    problem("policy", `is longer than ${POLICY_LIMIT} characters once serialised (it is carried in the Action's code)`);
  }
}

/** Validates every environment; throws one ConfigError listing every problem found. */
export function resolveEnvironments(configs: readonly unknown[]): ResolvedEnvironment[] {
  const problems: Problems = [];
  if (configs.length === 0) problems.push("no environments are configured");
  configs.forEach((config, i) => checkEnvironment(config, i, problems));
  const names = configs.map((c) => (isRecord(c) ? c.name : undefined)).filter((n): n is string => typeof n === "string");
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) problems.push(`environment "${name}": name is used by more than one environment`);
  });
  if (problems.length > 0) throw new ConfigError(problems);

  return (configs as EnvironmentConfig[]).map((config) => {
    const smoke = resolveSmoke(config.smoke);
    return {
      name: config.name,
      stackName: `auth0-${config.name}`,
      tenant: config.tenant,
      production: config.production ?? false,
      domain: config.domain?.toLowerCase(),
      backend: config.backend ?? { type: "local" },
      policy: resolvePolicy(withSmokeConnections(config.policy, smoke)),
      binding: config.binding ?? "owned",
      extraPostLoginActions: [...(config.extraPostLoginActions ?? [])],
      secretVersion: config.secretVersion ?? 1,
      confirmation: config.confirmation ?? true,
      customDomain: config.customDomain?.toLowerCase(),
      smoke,
    };
  });
}

/**
 * Picks the environments to synthesize. `selector` is a comma-separated list of names
 * (from LINKING_ENVIRONMENTS); empty means all of them.
 */
export function selectEnvironments(all: ResolvedEnvironment[], selector: string | undefined, source = "LINKING_ENVIRONMENTS"): ResolvedEnvironment[] {
  const wanted = (selector ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) return all;
  const known = all.map((env) => env.name);
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((name) => `unknown environment "${name}" selected in ${source} (known: ${known.join(", ")})`));
  }
  return all.filter((env) => wanted.includes(env.name));
}
