// Runs one of the operator commands (scripts/<name>.ts) as its own process, the way
// `npm run <name>` does, without blocking this process (the emulation answers from here).
import { spawn } from "child_process";
import * as path from "path";
import type { EnvironmentConfig } from "../../stacks/config";
import { testCertificate } from "./tls";

const ROOT = path.resolve(__dirname, "..", "..");
/** How `npm run <command>` loads TypeScript (esbuild, no compiler in the process): the children start as operators' commands do. */
export const REGISTER_TS = path.join(ROOT, "scripts", "lib", "register-typescript.js");
const ENVIRONMENTS_HOST = path.join(__dirname, "environments-host.ts");

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The caller's variables a command reads: credentials, CI's, state tokens. Tests start without them. */
const CALLER_ONLY = /^(AUTH0_|GITHUB_|TF_TOKEN_|PLAN_(PUBLIC|PRIVATE|SIGNING|VERIFY)_KEY$|SMOKE_PRIVATE_KEY$|TF_CLOUD_TOKEN$|CI$|LINKING_OUTDIR$)/;

/** Environment with every AUTH0_*, CI and GitHub Actions variable of the caller removed, so tests start clean. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!CALLER_ONLY.test(k)) env[k] = v;
  env.NODE_EXTRA_CA_CERTS = testCertificate().certPath;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface RunningScript {
  child: import("child_process").ChildProcess;
  done: Promise<ScriptResult>;
}

/** Starts scripts/<name>.ts (or any .ts file given by path) and returns at once. */
export function startScript(name: string, args: string[], env: NodeJS.ProcessEnv): RunningScript {
  const file = scriptFile(name);
  const child = spawn(process.execPath, ["-r", REGISTER_TS, file, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const done = new Promise<ScriptResult>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal === "SIGKILL" ? 137 : 1), stdout, stderr }));
  });
  return { child, done };
}

function scriptFile(name: string): string {
  return name.endsWith(".ts") ? name : path.join(ROOT, "scripts", `${name}.ts`);
}

/**
 * Runs scripts/<name>.ts with `configs` (or a .ts file) in place of stacks/environments.ts
 * (environments-host.ts), so a command test owns its configuration whatever the team wrote.
 */
export function runWithEnvironments(configs: EnvironmentConfig[] | { file: string }, name: string, args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  return runScript(ENVIRONMENTS_HOST, ["file" in configs ? configs.file : JSON.stringify(configs), scriptFile(name), ...args], env);
}

/** Starts scripts/<name>.ts with `configs` in place of stacks/environments.ts, and returns at once. */
export function startWithEnvironments(configs: EnvironmentConfig[], name: string, args: string[], env: NodeJS.ProcessEnv): RunningScript {
  return startScript(ENVIRONMENTS_HOST, [JSON.stringify(configs), scriptFile(name), ...args], env);
}

export function runScript(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  return startScript(name, args, env).done;
}
