// Synthesizes TenantStacks in memory with cdktf's testing helpers.
import { Testing } from "cdktf";
import { actionBundle } from "../../stacks/action-bundle";
import { resolveEnvironments, type EnvironmentConfig, type ResolvedEnvironment } from "../../stacks/config";
import { environments } from "../../stacks/environments";
import { TenantStack } from "../../stacks/tenant-stack";

export type TerraformJson = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  provider: Record<string, unknown[]>;
  terraform: Record<string, any>;
  output?: Record<string, { value: string }>;
};

export function synthEnvironment(environment: ResolvedEnvironment): { json: string; tf: TerraformJson; stack: TenantStack } {
  const app = Testing.app();
  const stack = new TenantStack(app, environment, actionBundle());
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) as TerraformJson, stack };
}

export function synthConfig(config: EnvironmentConfig) {
  return synthEnvironment(resolveEnvironments([config])[0]);
}

export const configured = (): ResolvedEnvironment[] => resolveEnvironments(environments);
