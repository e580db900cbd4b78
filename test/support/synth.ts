// Synthesizes TenantStacks in memory with cdktf's testing helpers, from configurations the tests
// give (test/stacks/fixtures.ts). `configured()` is the team's stacks/environments.ts: use it
// only for what must hold for every valid configuration.
import { Testing } from "../../stacks/engine";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { actionBundles } from "../../stacks/action-bundle";
import { resolveEnvironments, type EnvironmentConfig, type ResolvedEnvironment } from "../../stacks/config";
import { environments } from "../../stacks/environments";
import { TenantStack } from "../../stacks/tenant-stack";

export type TerraformJson = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  ephemeral?: Record<string, Record<string, Record<string, unknown>>>;
  provider: Record<string, unknown[]>;
  terraform: Record<string, any>;
  output?: Record<string, { value: string }>;
};

export function synthEnvironment(environment: ResolvedEnvironment): { json: string; tf: TerraformJson; stack: TenantStack } {
  const app = Testing.app();
  const stack = new TenantStack(app, environment, actionBundles());
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) as TerraformJson, stack };
}

export function synthConfig(config: EnvironmentConfig) {
  return synthEnvironment(resolveEnvironments([config])[0]);
}

/** The team's environments (stacks/environments.ts). */
export const configured = (): ResolvedEnvironment[] => resolveEnvironments(environments);

/**
 * Writes a synthesized stack where `cdktf synth` would (`<outdir>/stacks/<stack>/cdk.tf.json`),
 * in a fresh directory, for the commands to read through LINKING_OUTDIR. `stale` makes its
 * Action code differ from a fresh bundle, as an old synth would.
 */
export function writeSynthOutdir(tf: TerraformJson, stackName: string, options: { stale?: boolean } = {}): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-synth-"));
  const json = JSON.parse(JSON.stringify(tf)) as TerraformJson;
  if (options.stale) (json.resource.auth0_action.linking_action as { code: string }).code += "\n// older";
  fs.mkdirSync(path.join(outdir, "stacks", stackName), { recursive: true });
  fs.writeFileSync(path.join(outdir, "stacks", stackName, "cdk.tf.json"), JSON.stringify(json));
  return outdir;
}
