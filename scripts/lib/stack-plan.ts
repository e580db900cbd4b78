// terraform init, plan -out and apply in one synthesized stack, and what that plan does.
import * as fs from "fs";
import * as path from "path";
import { summarizePlan, type PlanSummary } from "./plan-summary";
import { CliError, type SynthesizedStack } from "./target";
import type { Terraform } from "./terraform";

export const PLAN_FILE = "tfplan";
/** How long plan and apply wait for another run's state lock before giving up. */
export const LOCK_TIMEOUT = "10m";

export interface StackPlan {
  summary: PlanSummary;
  /** `terraform show -json`, for what the summary does not keep (the binding's lists). */
  json: unknown;
  /** `terraform show -no-color`: sensitive values are already masked by Terraform. */
  text: string;
}

export interface PlanOptions {
  color: boolean;
  targets?: string[];
  /** -lock=false: for read-only state credentials (pull requests, drift), which cannot take the lock. */
  noLock?: boolean;
  /** -refresh-only: what changed in the tenant outside Terraform, nothing else. */
  refreshOnly?: boolean;
}

/** The provider lock the repository commits (docs/delivery.md, "The provider lock file"). */
export const COMMITTED_LOCK = path.join(__dirname, "..", "..", ".terraform.lock.hcl");

/**
 * terraform init: once per command, before any plan. The committed provider lock goes beside the
 * stack first, so a laptop installs the packages CI installs (CI also inits read-only:
 * TF_CLI_ARGS_init=-lockfile=readonly).
 */
export async function initStack(tf: Terraform, stack: SynthesizedStack, options: { color: boolean }): Promise<void> {
  if (fs.existsSync(COMMITTED_LOCK)) fs.copyFileSync(COMMITTED_LOCK, path.join(stack.dir, ".terraform.lock.hcl"));
  await tf.run(stack.dir, ["init", "-input=false", ...(options.color ? [] : ["-no-color"])]);
}

export async function planStack(tf: Terraform, stack: SynthesizedStack, options: PlanOptions): Promise<StackPlan> {
  const color = options.color ? [] : ["-no-color"];
  const targets = (options.targets ?? []).map((t) => `-target=${t}`);
  const lock = options.noLock ? ["-lock=false"] : [`-lock-timeout=${LOCK_TIMEOUT}`];
  const mode = options.refreshOnly ? ["-refresh-only"] : [];
  await tf.run(stack.dir, ["plan", "-input=false", ...lock, ...mode, `-out=${PLAN_FILE}`, ...targets, ...color]);
  return showPlan(tf, stack, PLAN_FILE);
}

/** Reads a saved plan (made by planStack here, or by an earlier CI job). */
export async function showPlan(tf: Terraform, stack: SynthesizedStack, file: string): Promise<StackPlan> {
  const json = JSON.parse(await tf.capture(stack.dir, ["show", "-json", file])) as unknown;
  const text = await tf.capture(stack.dir, ["show", "-no-color", file]);
  return { summary: summarizePlan(json), json, text };
}

/** Applies exactly a saved plan, waiting for the state lock rather than failing at once. */
export async function applyPlan(tf: Terraform, stack: SynthesizedStack, file: string, options: { color: boolean }): Promise<void> {
  await tf.run(stack.dir, ["apply", "-input=false", `-lock-timeout=${LOCK_TIMEOUT}`, ...(options.color ? [] : ["-no-color"]), file]);
}

const key = (c: { address: string; kind: string }) => `${c.address}:${c.kind}`;

/**
 * Step 1 of a removal of the bound Action: the binding alone (-target). -target also pulls in what
 * the binding depends on, so the step-1 plan must be exactly the binding change the full plan
 * announced; anything more is refused before it is applied. Leaves the step-1 plan in PLAN_FILE.
 */
export async function planUnbindStep(tf: Terraform, stack: SynthesizedStack, full: PlanSummary, options: PlanOptions & { where: string; again: string }): Promise<StackPlan> {
  const step1 = await planStack(tf, stack, { ...options, targets: full.unbindFirst });
  const announced = new Set(full.changes.filter((c) => full.unbindFirst.includes(c.address)).map(key));
  const planned = step1.summary.changes.map(key);
  if (planned.length === 0 || planned.some((k) => !announced.has(k)) || [...announced].some((k) => !planned.includes(k))) {
    throw new CliError(
      `${options.where}: step 1 would apply ${step1.summary.changes.map((c) => `${c.kind} ${c.address}`).join(", ") || "nothing"}, not only the binding change it announced (${[...announced].join(", ")}); nothing applied. ${options.again}`,
    );
  }
  return step1;
}

/** The changes of `next` that the reviewed plan did not contain. */
export function unreviewed(reviewed: PlanSummary, next: PlanSummary): string[] {
  const known = new Set(reviewed.changes.map(key));
  return next.changes.filter((c) => !known.has(key(c))).map((c) => `${c.kind} ${c.address}`);
}
