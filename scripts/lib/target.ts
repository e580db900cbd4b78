// What every operator command (plan, deploy, verify, backfill) needs before it touches a tenant:
// one configured environment, credentials for that tenant, and its synthesized stack. Each check
// fails at once with what to set or run; nothing has happened when one fails.
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../stacks/action-bundle";
import { UsageError } from "./command-line";
import { loadFailure } from "./environments-file";
import { ConfigError, resolveEnvironments, type EnvironmentConfig, type ResolvedEnvironment } from "../../stacks/config";

export { PROJECT_ROOT };

/** An operator error: printed as is, exit code 1, no stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}

export type Credentials =
  | { domain: string; kind: "client_secret"; clientId: string; clientSecret: string }
  | { domain: string; kind: "private_key_jwt"; clientId: string; privateKey: string; algorithm: string }
  | { domain: string; kind: "api_token"; token: string };

/**
 * The team's environments, validated. Loaded here rather than imported, so a file that does not
 * compile (a missing comma) is an `error:` line naming the line and column, not a stack trace; a
 * ConfigError (a wrong field) reaches runCommand, which prints one line per problem.
 */
export function configuredEnvironments(): ResolvedEnvironment[] {
  let loaded: { environments: EnvironmentConfig[] };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require("../../stacks/environments") as { environments: EnvironmentConfig[] };
  } catch (err) {
    throw new CliError(loadFailure(err, require.resolve("../../stacks/environments")));
  }
  return resolveEnvironments(loaded.environments);
}

export function findEnvironment(name: string | undefined, command: string, all: ResolvedEnvironment[] = configuredEnvironments()): ResolvedEnvironment {
  const known = all.map((e) => e.name).join(", ");
  if (!name || name.startsWith("-")) {
    throw new CliError(`usage: npm run ${command} -- <environment>   (configured in stacks/environments.ts: ${known})`, 2);
  }
  const found = all.find((e) => e.name === name || e.stackName === name);
  if (!found) throw new CliError(`unknown environment "${name}" (configured in stacks/environments.ts: ${known})`, 2);
  return found;
}

const CREDENTIALS_HELP =
  "AUTH0_CLIENT_ID with AUTH0_CLIENT_SECRET (or with AUTH0_CLIENT_ASSERTION_PRIVATE_KEY and AUTH0_CLIENT_ASSERTION_SIGNING_ALG), or AUTH0_API_TOKEN";

/**
 * The tenant credentials the Auth0 provider reads (the same variables, so a shell set up for
 * `terraform plan` works for every command). Refuses a domain other than the configured one.
 */
export function credentialsFor(environment: ResolvedEnvironment, env: NodeJS.ProcessEnv = process.env): Credentials {
  const get = (key: string) => {
    const value = env[key]?.trim();
    return value ? value : undefined;
  };
  const where = `${environment.stackName} (${environment.tenant})`;
  const domain = get("AUTH0_DOMAIN");
  const clientId = get("AUTH0_CLIENT_ID");
  const clientSecret = get("AUTH0_CLIENT_SECRET");
  const privateKey = get("AUTH0_CLIENT_ASSERTION_PRIVATE_KEY");
  const algorithm = get("AUTH0_CLIENT_ASSERTION_SIGNING_ALG");
  const token = get("AUTH0_API_TOKEN");

  const missing: string[] = [];
  if (!domain) missing.push("AUTH0_DOMAIN");
  if (!token && !clientId) missing.push("AUTH0_CLIENT_ID");
  if (!token && !clientSecret && !privateKey) missing.push("AUTH0_CLIENT_SECRET");
  if (!token && !clientSecret && privateKey && !algorithm) missing.push("AUTH0_CLIENT_ASSERTION_SIGNING_ALG");
  if (missing.length > 0) {
    throw new CliError(
      `${where}: missing ${missing.join(", ")}. Set AUTH0_DOMAIN and the Terraform deploy application's ${CREDENTIALS_HELP} ` +
        `for the ${environment.name} tenant (README, "Deploying to a tenant"; in CI they come from the GitHub Environment's secrets).`,
    );
  }
  if (/^[a-z]+:\/\//i.test(domain!) || domain!.includes("/")) {
    throw new CliError(`${where}: AUTH0_DOMAIN must be a bare domain such as acme-dev.eu.auth0.com, got "${domain}"`);
  }
  const normalized = domain!.toLowerCase();
  if (environment.domain && normalized !== environment.domain) {
    throw new CliError(
      `${where}: AUTH0_DOMAIN is "${normalized}" but environment "${environment.name}" is the tenant "${environment.domain}" ` +
        `(stacks/environments.ts, domain). Refusing to run against another tenant: load ${environment.name}'s credentials.`,
    );
  }
  if (token) return { domain: normalized, kind: "api_token", token };
  if (clientSecret) return { domain: normalized, kind: "client_secret", clientId: clientId!, clientSecret };
  return { domain: normalized, kind: "private_key_jwt", clientId: clientId!, privateKey: privateKey!, algorithm: algorithm! };
}

export interface SynthesizedStack {
  dir: string;
  file: string;
  /** The stack's Terraform JSON as `cdktf synth` wrote it. */
  json: SynthesizedJson;
}

export interface SynthesizedJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  terraform?: Record<string, unknown>;
}

/** Where `cdktf synth` writes (cdktf.json "output"); LINKING_OUTDIR points elsewhere, e.g. a CI artifact. */
export function synthOutdir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(PROJECT_ROOT, env.LINKING_OUTDIR || "cdktf.out");
}

export function synthesizedStack(environment: ResolvedEnvironment, outdir = synthOutdir()): SynthesizedStack {
  const dir = path.join(outdir, "stacks", environment.stackName);
  const file = path.join(dir, "cdk.tf.json");
  const shown = path.relative(process.cwd(), file) || file;
  if (!fs.existsSync(file)) {
    throw new CliError(`${environment.stackName}: ${shown} not found. Run "npm run synth" first.`);
  }
  try {
    return { dir, file, json: JSON.parse(fs.readFileSync(file, "utf8")) as SynthesizedJson };
  } catch (err) {
    throw new CliError(`${environment.stackName}: ${shown} is not valid JSON (${(err as Error).message}). Run "npm run synth" again.`);
  }
}

/** How `npm run synth` reports a configuration mistake: one `error:` line per problem, naming the environment and field. */
export function configErrorLines(err: ConfigError): string[] {
  return err.problems.map((problem) => `error: stacks/environments.ts: ${problem}`);
}

/** Runs a command's main, printing operator errors (and configuration mistakes) without a stack trace. */
export function runCommand(main: (args: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof CliError || err instanceof UsageError) {
        console.error(`error: ${err.message}`);
        process.exit(err.exitCode);
      }
      // Every command validates stacks/environments.ts before it touches anything (findEnvironment).
      if (err instanceof ConfigError) {
        console.error(configErrorLines(err).join("\n"));
        process.exit(1);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
