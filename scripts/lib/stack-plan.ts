// terraform init and plan -out in one synthesized stack, and what that plan does.
import { summarizePlan, type PlanSummary } from "./plan-summary";
import type { SynthesizedStack } from "./target";
import type { Terraform } from "./terraform";

export const PLAN_FILE = "tfplan";

export interface StackPlan {
  summary: PlanSummary;
  /** `terraform show -no-color`: sensitive values are already masked by Terraform. */
  text: string;
}

/** terraform init: once per command, before any plan. */
export async function initStack(tf: Terraform, stack: SynthesizedStack, options: { color: boolean }): Promise<void> {
  await tf.run(stack.dir, ["init", "-input=false", ...(options.color ? [] : ["-no-color"])]);
}

export async function planStack(tf: Terraform, stack: SynthesizedStack, options: { color: boolean; targets?: string[] }): Promise<StackPlan> {
  const color = options.color ? [] : ["-no-color"];
  const targets = (options.targets ?? []).map((t) => `-target=${t}`);
  await tf.run(stack.dir, ["plan", "-input=false", "-lock-timeout=5m", `-out=${PLAN_FILE}`, ...targets, ...color]);
  const json = await tf.capture(stack.dir, ["show", "-json", PLAN_FILE]);
  const text = await tf.capture(stack.dir, ["show", "-no-color", PLAN_FILE]);
  return { summary: summarizePlan(JSON.parse(json)), text };
}
