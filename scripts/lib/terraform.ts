// Runs Terraform in a synthesized stack directory. Output is shown as it comes and kept, so a
// failure can be reported (for example in the pull-request comment).
import { spawn, spawnSync } from "child_process";
import type { ResolvedEnvironment } from "../../stacks/config";
import { CliError } from "./target";

export const MINIMUM_TERRAFORM = [1, 11] as const;

export class TerraformFailed extends CliError {
  constructor(readonly args: string[], readonly code: number, readonly output: string) {
    super(`terraform ${args[0]} failed (exit ${code})`);
  }
}

export interface Terraform {
  bin: string;
  version: string;
  /** Runs and shows the output; throws TerraformFailed on a non-zero exit. */
  run(dir: string, args: string[]): Promise<string>;
  /** Runs quietly and returns stdout; throws TerraformFailed on a non-zero exit. */
  capture(dir: string, args: string[]): Promise<string>;
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { CHECKPOINT_DISABLE: "1", ...process.env, ...(process.env.CI ? { TF_IN_AUTOMATION: "1" } : {}), ...extra };
}

/**
 * Terraform reads an HCP Terraform (or Terraform Enterprise) token from TF_TOKEN_<hostname>, with
 * dots as "_" and hyphens as "__". CI cannot name a variable after a hostname that lives in
 * stacks/environments.ts, so it passes TF_CLOUD_TOKEN and this names it for the backend's host.
 */
export function backendTokenEnv(environment: ResolvedEnvironment, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const token = env.TF_CLOUD_TOKEN?.trim();
  if (!token || environment.backend.type !== "cloud") return {};
  const hostname = (environment.backend.hostname ?? "app.terraform.io").toLowerCase();
  return { [`TF_TOKEN_${hostname.replace(/-/g, "__").replace(/\./g, "_")}`]: token };
}

/** Finds Terraform (TERRAFORM_BINARY or `terraform` on PATH) and checks its version. */
export function findTerraform(env: NodeJS.ProcessEnv = process.env, extraEnv: NodeJS.ProcessEnv = {}): Terraform {
  const bin = env.TERRAFORM_BINARY || "terraform";
  const probe = spawnSync(bin, ["version", "-json"], { encoding: "utf8", env: childEnv() });
  if (probe.error || probe.status !== 0) {
    throw new CliError(`terraform not found or not runnable ("${bin}"): install Terraform >= ${MINIMUM_TERRAFORM.join(".")} or set TERRAFORM_BINARY`);
  }
  let version = "unknown";
  try {
    version = String((JSON.parse(probe.stdout) as { terraform_version?: string }).terraform_version);
  } catch {
    // Very old releases have no -json; the version check below refuses them.
  }
  const [major, minor] = version.split(".").map(Number);
  if (!(major > MINIMUM_TERRAFORM[0] || (major === MINIMUM_TERRAFORM[0] && minor >= MINIMUM_TERRAFORM[1]))) {
    throw new CliError(`terraform ${version} is too old: this project needs Terraform >= ${MINIMUM_TERRAFORM.join(".")}`);
  }
  const exec = (dir: string, args: string[], show: boolean) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(bin, args, { cwd: dir, env: childEnv(extraEnv), stdio: ["inherit", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const all: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => {
        out.push(chunk);
        all.push(chunk);
        if (show) process.stdout.write(chunk);
      });
      child.stderr.on("data", (chunk: Buffer) => {
        all.push(chunk);
        process.stderr.write(chunk);
      });
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
        else reject(new TerraformFailed(args, code ?? 1, Buffer.concat(all).toString("utf8")));
      });
    });
  return {
    bin,
    version,
    run: (dir, args) => exec(dir, args, true),
    capture: (dir, args) => exec(dir, args, false),
  };
}
